;;; heed-pair-tests.el --- ERT tests of heed-pair.el against the real daemon  -*- lexical-binding: t; -*-

;;; Commentary:

;; Translation-pair mode with the checkout's tiny random Marian model
;; (Tests/Fixtures/models/tiny-marian: ModelInfo `encoderDecoder: true',
;; 2 decoder layers, crossMethods norm-summed, attention, norm).  Line 1
;; is the source, line 2 the target.  Point on line 2: line 1 is shaded
;; as the daemon answers (asked for here directly with the same params),
;; the score-1 source unit has `heed-aligned', `heed-cycle-method' cycles
;; crossMethods.  Point on line 1: the ordinary highlight of line 1 alone.
;; MiniLM on a two-line buffer is unchanged.  Point on line 3 or later,
;; or on an empty line 2: nothing shaded, and it says so once; a blank
;; line 1: the daemon's -32602; `heed-set-layer' on line 2 stays within
;; decoderLayers.  Loaded by test.sh after
;; heed-tests.el (whose helpers it uses).

;;; Code:

(require 'ert)
(require 'heed)
(require 'heed-pair)
(require 'cl-lib)

(defconst heed-pair-tests--model
  (expand-file-name "../../Tests/Fixtures/models/tiny-marian"
                    (file-name-directory (or load-file-name buffer-file-name)))
  "The tiny Marian model directory of the checkout.")

(defconst heed-pair-tests--source "The quick brown fox jumps over the lazy dog."
  "Line 1: the source.  \"fox\" is at offsets 16 to 19.")

(defconst heed-pair-tests--target "Der schnelle braune Fuchs springt."
  "Line 2: the target.  \"braune\" is at offsets 13 to 19, \"Fuchs\" 20 to 25.")

(defconst heed-pair-tests--tstart (1+ (length heed-pair-tests--source))
  "Offset of line 2 in the pair span.")

(defmacro heed-pair-tests--with-pair (&rest body)
  "Run BODY in a buffer holding the pair, with the Marian model."
  (declare (indent 0))
  `(with-temp-buffer
     (insert heed-pair-tests--source "\n" heed-pair-tests--target)
     (setq-local heed-model heed-pair-tests--model)
     (setq-local heed-method "norm-summed")
     (setq-local heed-layer 'last)
     (setq-local heed-direction "from")
     (setq-local heed-granularity "token")
     (unwind-protect (progn ,@body)
       (heed-clear))))

(defun heed-pair-tests--ask (params)
  "The daemon's own `heed/highlight' answer for PARAMS."
  (jsonrpc-request heed--connection 'heed/highlight params :timeout 60))

(defun heed-pair-tests--target-params (method offset &optional granularity)
  "Params for a target focus at OFFSET of line 2 by METHOD."
  (list :model heed-pair-tests--model :text heed-pair-tests--source
        :target heed-pair-tests--target :focusIn "target"
        :focus (list :start offset :end offset) :method method :layer "last"
        :granularity (or granularity "token")))

(defun heed-pair-tests--expected (answer)
  "(START END BUCKET) in buffer positions of line 1 for every shaded range of ANSWER."
  (heed-tests--sorted
   (delq nil (mapcar (lambda (r)
                       (unless (= (plist-get r :value) 0)
                         (list (1+ (plist-get r :start)) (1+ (plist-get r :end))
                               (min 7 (floor (* 8 (plist-get r :score)))))))
                     (plist-get answer :ranges)))))

(defun heed-pair-tests--aligned ()
  "(START END) of the `aligned' overlays."
  (mapcar (lambda (ov)
            (should (eq (overlay-get ov 'face) 'heed-aligned))
            (list (overlay-start ov) (overlay-end ov)))
          (heed-tests--overlays 'aligned)))

(defun heed-pair-tests--score-one (answer)
  "The range of ANSWER with score 1."
  (seq-find (lambda (r) (equal (plist-get r :score) 1)) (plist-get answer :ranges)))

(defun heed-pair-tests--check-target (method offset)
  "Check the overlays for a target focus at OFFSET of line 2 by METHOD."
  (let* ((answer (heed-pair-tests--ask (heed-pair-tests--target-params method offset)))
         (marks (heed-tests--sorted (heed-tests--marks)))
         (one (heed-pair-tests--score-one answer))
         (focus (plist-get answer :focus))
         (line2 (+ 1 heed-pair-tests--tstart)))
    (should (equal (plist-get answer :rangesIn) "source"))
    (should marks)
    ;; every shade lies on line 1
    (should (seq-every-p (lambda (m) (<= (nth 1 m) (1+ (length heed-pair-tests--source)))) marks))
    (should (equal marks (heed-pair-tests--expected answer)))
    (should (equal (butlast (heed-tests--focus))
                   (list (+ line2 (plist-get focus :start)) (+ line2 (plist-get focus :end)))))
    (should one)
    (should (equal (heed-pair-tests--aligned)
                   (list (list (1+ (plist-get one :start)) (1+ (plist-get one :end))))))
    one))

(ert-deftest heed-pair-target-line-shades-the-source ()
  "Point on line 2: line 1 shaded by the cross-attention, the aligned unit emphasised."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-pair
    (goto-char (+ 1 heed-pair-tests--tstart 15)) ; inside "braune"
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (let ((info (gethash heed-pair-tests--model heed--model-info)))
      (should (eq (plist-get info :encoderDecoder) t))
      (should (equal (append (plist-get info :crossMethods) nil) '("norm-summed" "attention" "norm")))
      (should (equal (plist-get info :decoderLayers) 2)))
    (let ((one (heed-pair-tests--check-target "norm-summed" 15)))
      (should (string-match-p "cross norm-summed" (heed--mode-line-string)))
      ;; the info says what the focus aligns to
      (let ((shown (heed-info)))
        (should (string-match-p
                 (regexp-quote (format "aligned to: %s"
                                       (substring heed-pair-tests--source
                                                  (plist-get one :start) (plist-get one :end))))
                 shown))))
    ;; one keystroke cycles crossMethods; the encoder's method stays
    (dolist (m '("attention" "norm" "norm-summed"))
      (heed-cycle-method)
      (heed-tests--wait)
      (should (equal heed-pair--cross-method m))
      (should (equal heed-method "norm-summed"))
      (heed-pair-tests--check-target m 15))
    ;; point moves to "Fuchs": its alignment
    (goto-char (+ 1 heed-pair-tests--tstart 21))
    (heed--follow (current-buffer))
    (heed-tests--wait)
    (heed-pair-tests--check-target "norm-summed" 21)))

(ert-deftest heed-pair-source-line-is-the-encoder ()
  "Point on line 1: the ordinary highlight of line 1 alone; the cycle is the encoder's."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-pair
    (goto-char 18)                      ; inside "fox" (offset 17)
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (let* ((params (list :model heed-pair-tests--model :text heed-pair-tests--source
                         :focus '(:start 17 :end 17) :method "norm-summed" :layer "last"
                         :direction "from" :granularity "token"))
           (answer (heed-pair-tests--ask params))
           (focus (plist-get answer :focus)))
      (should (equal (heed-tests--sorted (heed-tests--marks)) (heed-pair-tests--expected answer)))
      (should (equal (butlast (heed-tests--focus))
                     (list (1+ (plist-get focus :start)) (1+ (plist-get focus :end)))))
      (should (<= 17 (1+ (plist-get focus :start)) 18))
      (should-not (heed-pair-tests--aligned))
      (should (string-match-p "norm-summed L1 from" (heed--mode-line-string))))
    (let ((second (cadr (heed--methods (gethash heed-pair-tests--model heed--model-info)))))
      (heed-cycle-method)
      (heed-tests--wait)
      (should (equal heed-method second))
      (should-not heed-pair--cross-method))
    ;; from line 1 to line 2 and back: each its own request
    (goto-char (+ 1 heed-pair-tests--tstart 15))
    (heed--follow (current-buffer))
    (heed-tests--wait)
    (heed-pair-tests--check-target "norm-summed" 15)
    (goto-char 18)
    (heed--follow (current-buffer))
    (heed-tests--wait)
    (should-not (heed-pair-tests--aligned))
    (should (seq-every-p (lambda (m) (<= (nth 1 m) (1+ (length heed-pair-tests--source))))
                         (heed-tests--marks)))))

(ert-deftest heed-pair-word-granularity ()
  "Word granularity on the target line: the aligned source word."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-pair
    (setq-local heed-granularity "word")
    (goto-char (+ 1 heed-pair-tests--tstart 15))
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (let* ((answer (heed-pair-tests--ask (heed-pair-tests--target-params "norm-summed" 15 "word")))
           (one (heed-pair-tests--score-one answer)))
      (should (equal (heed-tests--sorted (heed-tests--marks)) (heed-pair-tests--expected answer)))
      (should (equal (heed-pair-tests--aligned)
                     (list (list (1+ (plist-get one :start)) (1+ (plist-get one :end)))))))))

(defmacro heed-pair-tests--with-lines (lines &rest body)
  "Run BODY in a buffer holding LINES (joined by newlines), with the Marian model.
The echo area's messages are collected in `messages' (newest first)."
  (declare (indent 1))
  `(with-temp-buffer
     (insert (mapconcat #'identity ,lines "\n"))
     (setq-local heed-model heed-pair-tests--model)
     (setq-local heed-method "norm-summed")
     (setq-local heed-layer 'last)
     (setq-local heed-direction "from")
     (setq-local heed-granularity "token")
     (let ((messages nil))
       (cl-letf* ((real-message (symbol-function 'message))
                  ((symbol-function 'message)
                   (lambda (fmt &rest args)
                     (when fmt (push (apply #'format fmt args) messages))
                     (let ((inhibit-message t)) (apply real-message fmt args)))))
         (unwind-protect (progn ,@body)
           (heed-clear))))))

(defun heed-pair-tests--goto (line column)
  "Put point at COLUMN of LINE (1-based)."
  (goto-char (point-min))
  (forward-line (1- line))
  (move-to-column column))

(ert-deftest heed-pair-lines-after-the-second ()
  "Point on line 3 or later: nothing shaded, the echo area says so once."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-lines (list heed-pair-tests--source heed-pair-tests--target
                                     "Eine dritte Zeile." "Und eine vierte.")
    (let ((note (concat "heed: " heed-pair-beyond-note)))
      (heed-pair-tests--goto 3 5)
      (call-interactively #'heed-analyze)
      (heed-tests--wait)
      (should (eq heed-pair--side 'beyond))
      (should-not heed--result)
      (should-not (heed-tests--marks))
      (should-not (heed-tests--focus))
      (should (equal (seq-count (lambda (m) (equal m note)) messages) 1))
      ;; line 2 shades line 1
      (heed-pair-tests--goto 2 15)
      (heed--follow (current-buffer))
      (heed-tests--wait)
      (heed-pair-tests--check-target "norm-summed" 15)
      ;; line 4, following point: the shading goes, the note is not repeated
      (heed-pair-tests--goto 4 3)
      (heed--post-command)
      (should (timerp heed--timer))
      (heed-tests--wait)
      (should (eq heed-pair--side 'beyond))
      (should-not (heed-tests--marks))
      (should-not (heed-tests--focus))
      (should-not (heed-pair-tests--aligned))
      (should (equal (seq-count (lambda (m) (equal m note)) messages) 1))
      (should-not (seq-find (lambda (m) (string-match-p "\\[-3" m)) messages)))))

(ert-deftest heed-pair-empty-target-line ()
  "Point on an empty or blank line 2: nothing shaded, it says the target is empty."
  (heed-tests--ensure-daemon)
  (dolist (target '("" "   "))
    (heed-pair-tests--with-lines (list heed-pair-tests--source target)
      (heed-pair-tests--goto 2 (min 1 (length target)))
      (call-interactively #'heed-analyze)
      (heed-tests--wait)
      (should (equal (car messages) "heed: the target line (line 2) is empty"))
      (should (heed-pair-target-p))
      (should-not heed--result)
      (should-not (heed-tests--marks))
      (should-not (heed-tests--focus))
      ;; line 1 still shades
      (goto-char 18)
      (heed--follow (current-buffer))
      (heed-tests--wait)
      (should (eq heed-pair--side 'source))
      (should (heed-tests--marks))
      (should-not (seq-find (lambda (m) (string-match-p "\\[-3" m)) messages)))))

(ert-deftest heed-pair-empty-source-line ()
  "A blank line 1 with point on line 2: the daemon's -32602 about the empty source."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-lines (list "  " heed-pair-tests--target)
    (heed-pair-tests--goto 2 15)
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (should (string-match-p "\\`heed: .*the source is empty.*\\[-32602\\]\\'" (car messages)))
    (should-not (heed-tests--marks))))

(ert-deftest heed-pair-layers-on-the-target-line ()
  "`heed-set-layer' on line 2 chooses among the decoder's layers, on line 1 the encoder's."
  (heed-tests--ensure-daemon)
  (heed-pair-tests--with-pair
    (goto-char (+ 1 heed-pair-tests--tstart 15))
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (should (equal (plist-get heed--result :layer) 1))
    (heed-set-layer 0)
    (heed-tests--wait)
    (should (equal heed-pair--decoder-layer 0))
    (should (eq heed-layer 'last))
    (let ((answer (heed-pair-tests--ask
                   (plist-put (heed-pair-tests--target-params "norm-summed" 15) :layer 0))))
      (should (equal (plist-get answer :layer) 0))
      (should (equal (plist-get heed--result :layer) 0))
      (should (equal (heed-tests--sorted (heed-tests--marks)) (heed-pair-tests--expected answer))))
    (should (string-match-p "cross norm-summed L0 " (heed--mode-line-string)))
    ;; the range is decoderLayers, not the encoder's `layers' (made different here)
    (let* ((info (gethash heed-pair-tests--model heed--model-info))
           (layers (plist-get info :layers)))
      (plist-put info :layers 6)
      (unwind-protect
          (progn
            (should-error (heed-set-layer 3) :type 'user-error)
            (should (equal heed-pair--decoder-layer 0))
            (heed-set-layer 'prev)
            (heed-tests--wait)
            (should (equal heed-pair--decoder-layer 1))
            (heed-set-layer 'next)
            (heed-tests--wait)
            (should (equal heed-pair--decoder-layer 0)))
        (plist-put info :layers layers)))
    ;; line 1: the encoder's layers; the decoder layer stays
    (goto-char 18)
    (heed--follow (current-buffer))
    (heed-tests--wait)
    (heed-set-layer 0)
    (heed-tests--wait)
    (should (equal heed-layer 0))
    (should (equal heed-pair--decoder-layer 0))
    (should (eq heed-pair--side 'source))
    (should (equal (plist-get heed--result :layer) 0))))

(ert-deftest heed-pair-other-models-unchanged ()
  "MiniLM on the same two lines: one span, no target, no aligned overlay."
  (heed-tests--ensure-daemon)
  (with-temp-buffer
    (insert heed-pair-tests--source "\n" heed-pair-tests--target)
    (setq-local heed-model "minilm")
    (setq-local heed-method "norm-summed")
    (setq-local heed-layer 'last)
    (setq-local heed-direction "from")
    (unwind-protect
        (progn
          (goto-char (+ 1 heed-pair-tests--tstart 15))
          (call-interactively #'heed-analyze)
          (heed-tests--wait)
          (should (equal heed--text (concat heed-pair-tests--source "\n" heed-pair-tests--target)))
          (should-not (heed-pair-tests--aligned))
          (should (equal (heed-tests--marks)
                         (heed-tests--daemon-marks "norm-summed" "last" "from" (+ heed-pair-tests--tstart 15))))
          ;; both lines are shaded
          (should (seq-find (lambda (m) (> (car m) (+ 1 heed-pair-tests--tstart))) (heed-tests--marks)))
          (should (seq-find (lambda (m) (< (car m) heed-pair-tests--tstart)) (heed-tests--marks))))
      (heed-clear))))

(provide 'heed-pair-tests)

;;; heed-pair-tests.el ends here
