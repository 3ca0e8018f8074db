;;; heed-pair.el --- Translation-pair mode of heed.el for encoder-decoder models  -*- lexical-binding: t; -*-

;; This file is part of Heed.

;;; Commentary:

;; Loaded by heed.el when the model's ModelInfo says `encoderDecoder:
;; true' (a Marian translation model, protocol.md section 5.9).  The
;; buffer's first line is the source text, its second line the target.
;;
;; With point on line 2, `heed/highlight' gets text = line 1, target =
;; line 2, focusIn "target" and point's offset in line 2 as the focus;
;; line 1 is shaded by the cross-attention (the method is one of
;; ModelInfo `crossMethods', which `heed-cycle-method' cycles there),
;; and the source unit with score 1 (what the focus aligns to) gets the
;; face `heed-aligned' on top of its shade.  With point on line 1: the
;; ordinary highlight of line 1 alone (the encoder's self-attention).
;; With point on line 3 or later, or on an empty (or blank) line 2,
;; nothing is shaded and the echo area says why, once per analysis.
;; `heed-set-layer' with point on line 2 chooses among the decoder's
;; layers (ModelInfo `decoderLayers'), kept in `heed-pair--decoder-layer'.
;;
;; The analysed span is lines 1 and 2, so that heed.el's drawing, point
;; following and edit tracking work unchanged: a result is moved into
;; span offsets (a target focus by the start of line 2) before it is
;; drawn.

;;; Code:

(require 'heed)

(defface heed-aligned
  '((t :weight bold :underline t))
  "Face of the source unit that a target focus aligns to (score 1).
It is drawn over the unit's shade, so only its attributes show."
  :group 'heed)

(defvar-local heed-pair--cross-method nil
  "The cross-attention method in use here; nil: the model's first `crossMethods'.")

(defvar-local heed-pair--decoder-layer 'last
  "The decoder layer for a focus on line 2: 0 to decoderLayers - 1, or `last'.")

(defvar-local heed-pair--side nil
  "Where point was at the last request: `target' (line 2), `source' (line 1)
or `beyond' (line 3 or later).  Nil before the first request.")

(defvar-local heed-pair--said nil
  "(SPAN-START-MARKER . NOTES): the notes said for the analysis of that span.")

(defconst heed-pair-beyond-note
  "pair mode reads line 1 (source) and line 2 (target); lines after the second are not part of the pair"
  "The note for point on line 3 or later.")

(defconst heed-pair-empty-target-note "the target line (line 2) is empty"
  "The note for point on an empty or blank line 2.")

(defvar-local heed-pair--lines nil
  "The pair last analysed: (SOURCE TARGET TARGET-START).
TARGET-START is the offset of line 2 in the span.")

(defun heed-pair-p (info)
  "Whether INFO is the ModelInfo of an encoder-decoder model."
  (eq (plist-get info :encoderDecoder) t))

(defun heed-pair--cross-methods (info)
  "Return INFO's `crossMethods' as a list."
  (append (plist-get info :crossMethods) nil))

(defun heed-pair--method (info)
  "Return the cross method in use for INFO's model."
  (let ((methods (heed-pair--cross-methods info)))
    (unless (member heed-pair--cross-method methods)
      (setq heed-pair--cross-method (car methods)))
    heed-pair--cross-method))

(defun heed-pair--prepare ()
  "Make lines 1 and 2 of the buffer the analysed span.
Return `target' when point is on line 2 (and it holds text), else
`source'."
  (save-restriction
    (widen)
    (save-excursion
      (goto-char (point-min))
      (let* ((beg (point))
             (end1 (line-end-position))
             (end (progn (forward-line 1) (if (bolp) (line-end-position) end1)))
             (source (buffer-substring-no-properties beg end1))
             (target (if (> end end1) (buffer-substring-no-properties (1+ end1) end) ""))
             (bounds (heed--span-bounds)))
        (unless (and bounds (= (car bounds) beg) (= (cdr bounds) end))
          (when heed--span
            (set-marker (car heed--span) nil)
            (set-marker (cdr heed--span) nil))
          (setq heed--span (cons (copy-marker beg t) (copy-marker end nil))))
        (setq heed--text (buffer-substring-no-properties beg end)
              heed-pair--lines (list source target (- (1+ end1) beg)))))))

(defun heed-pair--side-for (info)
  "Prepare the pair span for INFO's model and return where point's focus is.
That is `source' (line 1), `target' (line 2, even when empty) or
`beyond' (line 3 or later)."
  (heed-pair--prepare)
  (let ((tstart (nth 2 heed-pair--lines))
        (offset (heed--offset-at (point))))
    (setq heed-pair--side
          (cond ((> (save-restriction (widen) (line-number-at-pos)) 2) 'beyond)
                ((and (>= offset tstart) (heed-pair--cross-methods info)) 'target)
                (t 'source)))))

(defun heed-pair--note (side)
  "The note for SIDE when nothing is to be shaded there, else nil."
  (cond ((eq side 'beyond) heed-pair-beyond-note)
        ((and (eq side 'target) (not (string-match-p "[^ \t]" (nth 1 heed-pair--lines))))
         heed-pair-empty-target-note)))

(defun heed-pair--shade-nothing (side)
  "Delete the shading and say why SIDE shades nothing, once per analysis."
  (let ((note (heed-pair--note side)))
    (heed--delete-overlays)
    (setq heed--result nil)
    (unless (eq (car heed-pair--said) (car heed--span))
      (setq heed-pair--said (list (car heed--span))))
    (unless (member note (cdr heed-pair--said))
      (push note (cdr heed-pair--said))
      (message "heed: %s" note))
    (force-mode-line-update)))

(defun heed-pair--decoder-layer (info)
  "The decoder layer in use for INFO's model, `last' resolved (nil if unknown)."
  (let ((n (or (plist-get info :decoderLayers) 0)))
    (cond ((and (integerp heed-pair--decoder-layer) (< heed-pair--decoder-layer n))
           heed-pair--decoder-layer)
          ((> n 0) (1- n)))))

(defun heed-pair-set-layer (info layer)
  "Set the decoder layer to LAYER for INFO's model and shade again.
LAYER is 0 to decoderLayers - 1, `next', `prev' or `last'."
  (let* ((layers (or (plist-get info :decoderLayers) 0))
         (current (or (heed-pair--decoder-layer info) 0))
         (new (pcase layer
                ((pred integerp) layer)
                ((or 'next "next") (mod (1+ current) (max layers 1)))
                ((or 'prev 'previous "prev" "previous") (mod (1- current) (max layers 1)))
                ((or 'last "last") 'last)
                (_ (user-error "heed: a layer is a number, next, prev or last, not %S" layer)))))
    (when (< layers 1)
      (user-error "heed: %s lists no decoder layers" heed-model))
    (when (and (integerp new) (not (< -1 new layers)))
      (user-error "heed: %s has decoder layers 0 to %d" heed-model (1- layers)))
    (setq heed-pair--decoder-layer new)
    (heed--refresh)
    (force-mode-line-update)
    (message "heed: decoder layer %s" (if (integerp new) new (format "last (%d)" (1- layers))))))

(defun heed-pair--params (info side)
  "Return the `heed/highlight' params for point, SIDE being where it is.
INFO is the model's ModelInfo.  Nil when nothing is to be shaded there
\(see `heed-pair--note')."
  (pcase-let* ((`(,source ,target ,tstart) heed-pair--lines)
               (offset (heed--offset-at (point))))
    (cond
     ((heed-pair--note side) nil)
     ((eq side 'target)
      (let ((focus (- offset tstart))
            (layer heed-pair--decoder-layer))
        (unless (and (integerp layer) (< layer (or (plist-get info :decoderLayers) 0)))
          (setq layer "last"))
        (list :model heed-model :text source :target target :focusIn "target"
              :focus (list :start focus :end focus)
              :method (heed-pair--method info) :layer layer
              :granularity heed-granularity)))
     (t
      (let ((focus (min offset (length source))))
        (list :model heed-model :text source
              :focus (list :start focus :end focus)
              :method (heed--effective-method info) :layer (heed--layer-param)
              :direction heed-direction :granularity heed-granularity))))))

(defun heed-pair-aligned (result)
  "Return the range of RESULT with score 1 and a value, or nil."
  (seq-find (lambda (r) (and (equal (plist-get r :score) 1)
                             (not (equal (plist-get r :value) 0))))
            (plist-get result :ranges)))

(defun heed-pair--draw (result side)
  "Draw RESULT, whose focus is on SIDE, over the pair span.
The ranges are offsets into line 1, which starts the span; a target
focus is moved to line 2.  The aligned source unit gets `heed-aligned'."
  (let ((result (copy-sequence result)))
    (when (eq side 'target)
      (let ((f (plist-get result :focus))
            (tstart (nth 2 heed-pair--lines)))
        (setq result (plist-put result :focus
                                (list :start (+ tstart (plist-get f :start))
                                      :end (+ tstart (plist-get f :end)))))))
    (heed--draw result)
    (when (eq side 'target)
      (when-let ((r (heed-pair-aligned result))
                 (beg (car (heed--span-bounds))))
        (heed--make-overlay (+ beg (plist-get r :start)) (+ beg (plist-get r :end))
                            'heed-aligned 'aligned 19)))))

(defun heed-pair-cycle-method (info)
  "Switch to the next of INFO's `crossMethods' and shade again."
  (let* ((methods (heed-pair--cross-methods info))
         (next (or (cadr (member (heed-pair--method info) methods)) (car methods))))
    (setq heed-pair--cross-method next)
    (heed--refresh)
    (force-mode-line-update)
    (message "heed: cross-attention method %s: %s" next (heed--describe-method next))))

(defun heed-pair-target-p ()
  "Whether the last request here had its focus on the target line."
  (eq heed-pair--side 'target))

(defun heed-pair-info ()
  "Say what the target focus aligns to, and the top 5 source units."
  (let* ((result heed--result)
         (focus (plist-get result :focus))
         (al (heed-pair-aligned result))
         (source (car heed-pair--lines)))
    (message "%S aligned to: %s  (cross %s, decoder layer %s)\nsource (%s):  %s"
             (heed--unit-text (plist-get focus :start) (plist-get focus :end))
             (if al (substring source (plist-get al :start) (plist-get al :end)) "(none)")
             (plist-get result :method) (plist-get result :layer)
             (heed--method-kind (plist-get result :method))
             (heed--top (plist-get result :ranges) 5))))

(provide 'heed-pair)

;;; heed-pair.el ends here
