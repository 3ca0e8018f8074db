;;; heed-tests.el --- ERT tests of heed.el against the real daemon  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run by test.sh: emacs --batch, the real `heed serve' (HEED_EXECUTABLE,
;; else heed on PATH) and the real MiniLM.  Positions are exact buffer
;; positions; buckets are checked against the daemon's own answer,
;; asked for directly with the test's own request.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'heed)

(defconst heed-tests--dir
  (file-name-directory (or load-file-name buffer-file-name))
  "The directory of this file.")

(defconst heed-tests--intro "Intro line stays unshaded.\n\n"
  "A paragraph before the analysed one, so positions do not start at 1.")

(defconst heed-tests--paragraph
  (concat "Zürich: the keys to the cabinet are on the table.\n"
          "The cafe\u0301\towner \U0001F642 said 東京 was far.")
  "Two lines: an umlaut, a combining mark, a tab, an emoji and CJK.")

(defconst heed-tests--expected
  ;; Buffer positions with the intro before the paragraph (it starts at 29).
  '((29 35 "Zürich") (35 36 ":") (37 40 "the") (46 48 "to") (49 52 "the")
    (53 60 "cabinet") (61 64 "are") (65 67 "on") (68 71 "the") (72 77 "table")
    (77 78 ".") (79 82 "The") (83 87 "cafe") (89 94 "owner") (95 96 "\U0001F642")
    (97 101 "said") (102 103 "東") (103 104 "京") (105 108 "was") (109 112 "far")
    (112 113 "."))
  "Every shaded unit when the focus is \"keys\": start, end, text.")

(defconst heed-tests--focus '(41 45 "keys")
  "The focus: the word under the cursor.")

(defun heed-tests--wait ()
  "Wait until the debounce timer has fired and no request is in flight."
  (with-timeout (30 (ert-fail "timed out waiting for the daemon"))
    (while (or heed--pending (timerp heed--timer))
      (accept-process-output nil 0.01))))

(defun heed-tests--overlays (kind)
  "Return the overlays of KIND (`range' or `focus') in the buffer, by position."
  (sort (seq-filter (lambda (ov) (eq (overlay-get ov 'heed) kind))
                    (overlays-in (point-min) (point-max)))
        (lambda (a b) (< (overlay-start a) (overlay-start b)))))

(defun heed-tests--positions ()
  "Return (START END TEXT) of every shaded unit."
  (mapcar (lambda (ov)
            (list (overlay-start ov) (overlay-end ov)
                  (buffer-substring-no-properties (overlay-start ov) (overlay-end ov))))
          (heed-tests--overlays 'range)))

(defun heed-tests--focus ()
  "Return (START END TEXT) of the focus overlay, or nil."
  (when-let ((ov (car (heed-tests--overlays 'focus))))
    (list (overlay-start ov) (overlay-end ov)
          (buffer-substring-no-properties (overlay-start ov) (overlay-end ov)))))

(defun heed-tests--marks ()
  "Return (START END BUCKET) of every shaded unit, checking its face."
  (mapcar (lambda (ov)
            (let ((bucket (overlay-get ov 'heed-bucket)))
              (should (eq (overlay-get ov 'face) (intern (format "heed-%d" bucket))))
              (list (overlay-start ov) (overlay-end ov) bucket)))
          (heed-tests--overlays 'range)))

(defun heed-tests--answer (method layer direction offset &optional model granularity)
  "Ask the daemon directly for METHOD, LAYER and DIRECTION at OFFSET.
MODEL defaults to minilm, GRANULARITY to token.  Return the result."
  (jsonrpc-request
   heed--connection 'heed/highlight
   (list :model (or model "minilm") :text heed--text
         :focus (list :start offset :end offset)
         :method method :layer layer :direction direction
         :granularity (or granularity "token"))
   :timeout 60))

(defun heed-tests--daemon-marks (method layer direction offset &optional model granularity)
  "Ask the daemon directly for METHOD, LAYER and DIRECTION at OFFSET.
Return (START END BUCKET) in buffer positions of the span, computed
here from the daemon's scores, for every range whose value is not 0
\(those get no shade), in text order.  MODEL and GRANULARITY as for
`heed-tests--answer'."
  (let ((beg (car (heed--span-bounds)))
        (answer (heed-tests--answer method layer direction offset model granularity)))
    (delq nil
          (mapcar (lambda (r)
                    (unless (= (plist-get r :value) 0)
                      (list (+ beg (plist-get r :start)) (+ beg (plist-get r :end))
                            (min 7 (floor (* 8 (plist-get r :score)))))))
                  (plist-get answer :ranges)))))

(defun heed-tests--sorted (marks)
  "MARKS, lists of numbers, in lexicographic order (overlapping units)."
  (sort (copy-sequence marks)
        (lambda (a b)
          (catch 'done
            (while (and a b)
              (cond ((< (car a) (car b)) (throw 'done t))
                    ((> (car a) (car b)) (throw 'done nil)))
              (setq a (cdr a) b (cdr b)))
            nil))))

(defmacro heed-tests--with-buffer (text &rest body)
  "Run BODY in a fresh buffer holding TEXT, with default heed settings."
  (declare (indent 1))
  `(with-temp-buffer
     (insert ,text)
     (setq-local heed-model "minilm")
     (setq-local heed-method "norm-summed")
     (setq-local heed-layer 'last)
     (setq-local heed-direction "from")
     (unwind-protect (progn ,@body)
       (heed-clear))))

(defun heed-tests--analyze-at-keys ()
  "Put point inside \"keys\" and analyse the paragraph as a user would."
  (goto-char 43)                        ; between "ke" and "ys"
  (call-interactively #'heed-analyze)
  (heed-tests--wait))

(defun heed-tests--ensure-daemon ()
  "Make sure a daemon runs and may be restarted once, as in a fresh session."
  (unless (and heed--process (process-live-p heed--process))
    (setq heed--gave-up nil)
    (heed--start))
  (setq heed--restarted nil))

;;;; Tests

(ert-deftest heed-overlays-at-character-positions ()
  "Overlays cover exactly each token's characters on non-ASCII text, two lines."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (should (equal (heed-tests--focus) heed-tests--focus))
    (should (equal (heed-tests--positions) heed-tests--expected))
    (should (equal (heed-tests--marks)
                   (heed-tests--daemon-marks "norm-summed" "last" "from" 14)))
    (should (equal (plist-get heed--result :layer) 5))
    (should (equal (heed--mode-line-string) " heed[minilm norm-summed L5 from]"))
    ;; In `mode-line-misc-info' as a list, not as a bare symbol (which
    ;; would make the rest of the list a conditional).
    (should (equal (car (default-value 'mode-line-misc-info)) '("" heed--mode-line)))
    ;; The focus face is distinct and the intro is untouched.
    (should (eq (overlay-get (car (heed-tests--overlays 'focus)) 'face) 'heed-focus))
    (should-not (overlays-in 1 29))))

(ert-deftest heed-crlf-file-positions ()
  "A CRLF file holds LF in the buffer, and the overlays count buffer characters."
  (heed-tests--ensure-daemon)
  (let ((file (make-temp-file "heed-crlf" nil ".txt")))
    (unwind-protect
        (progn
          (let ((coding-system-for-write 'utf-8-dos))
            (write-region (concat heed-tests--intro heed-tests--paragraph "\n") nil file))
          (with-temp-buffer
            (insert-file-contents file)
            (should (eq (coding-system-eol-type buffer-file-coding-system) 1))
            (should-not (string-search "\r" (buffer-string)))
            (unwind-protect
                (progn
                  (heed-tests--analyze-at-keys)
                  (should (equal (heed-tests--focus) heed-tests--focus))
                  (should (equal (heed-tests--positions) heed-tests--expected)))
              (heed-clear))))
      (delete-file file))))

(ert-deftest heed-region-forward-focus-is-its-end ()
  "With a region selected forward, point is its end and picks the last unit."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (transient-mark-mode 1)
    (set-mark 29)
    (goto-char 78)                      ; after "table."
    (activate-mark)
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (should (equal (heed-tests--focus) '(77 78 ".")))
    (should-not (region-active-p))
    (should (equal (heed--span-bounds) '(29 . 78)))
    (should (equal (mapcar #'car (heed-tests--positions))
                   '(29 35 37 41 46 49 53 61 65 68 72)))))

(ert-deftest heed-commands-change-overlays ()
  "Method, layer and direction commands redraw with the daemon's answer for each."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (let ((norm-summed (heed-tests--marks))
          (units (mapcar (lambda (m) (seq-take m 2)) (heed-tests--marks))))
      ;; norm-summed -> attention: weights instead of norms.
      (heed-cycle-method)
      (heed-tests--wait)
      (should (equal heed-method "attention"))
      (should (equal (plist-get heed--result :method) "attention"))
      (should (equal (heed-tests--marks)
                     (heed-tests--daemon-marks "attention" "last" "from" 14)))
      (should-not (equal (heed-tests--marks) norm-summed))
      (should (equal (mapcar (lambda (m) (seq-take m 2)) (heed-tests--marks)) units))
      (should (equal (heed-tests--focus) heed-tests--focus))
      (should (equal (heed--mode-line-string) " heed[minilm attention L5 from]"))
      ;; Layer 2.
      (let ((last-layer (heed-tests--marks)))
        (heed-set-layer 2)
        (heed-tests--wait)
        (should (equal (plist-get heed--result :layer) 2))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks "attention" 2 "from" 14)))
        (should-not (equal (heed-tests--marks) last-layer))
        (should (equal (heed--mode-line-string) " heed[minilm attention L2 from]")))
      (heed-set-layer 'next)
      (heed-tests--wait)
      (should (equal (plist-get heed--result :layer) 3))
      (heed-set-layer 'prev)
      (heed-set-layer 'prev)
      (heed-tests--wait)
      (should (equal (plist-get heed--result :layer) 1))
      (heed-set-layer 2)
      (heed-tests--wait)
      ;; Direction from -> to.
      (let ((from (heed-tests--marks)))
        (heed-cycle-direction)
        (heed-tests--wait)
        (should (equal heed-direction "to"))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks "attention" 2 "to" 14)))
        (should-not (equal (heed-tests--marks) from))
        (should (equal (heed--mode-line-string) " heed[minilm attention L2 to]")))
      (heed-cycle-direction)
      (heed-cycle-direction)
      (heed-tests--wait)
      (should (equal heed-direction "from"))
      ;; The cycle follows the model's `methods' and wraps around.
      (let ((seen (list heed-method)))
        (dotimes (_ 10)
          (heed-cycle-method)
          (push heed-method seen))
        (heed-tests--wait)
        (should (equal (nreverse seen)
                       '("attention" "attn-res-ln" "attn-res" "norm" "rollout"
                         "norm-rollout" "alti" "alti-rollout" "globenc" "value-zeroing"
                         "norm-summed")))
        (should (equal (plist-get heed--result :method) "norm-summed"))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks "norm-summed" 2 "from" 14)))))))

(ert-deftest heed-follow-up-methods ()
  "MiniLM lists ALTI, ALTI rollout, GlobEnc and value zeroing; the cycle
walks through all eleven methods, each shaded as the daemon answers,
named with what it is, the rollouts over all layers."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (should (equal (heed--methods (gethash "minilm" heed--model-info))
                   '("norm-summed" "attention" "attn-res-ln" "attn-res" "norm" "rollout"
                     "norm-rollout" "alti" "alti-rollout" "globenc" "value-zeroing")))
    (let ((seen (list heed-method))
          (marks nil))
      (dotimes (_ 11)
        (let ((inhibit-message t))
          (heed-cycle-method))
        (heed-tests--wait)
        (push heed-method seen)
        (should (equal (plist-get heed--result :method) heed-method))
        (let ((rollout (member heed-method heed--rollout-methods)))
          (should (equal (plist-get heed--result :layer) (if rollout nil 5)))
          (should (equal (heed--mode-line-string)
                         (format " heed[minilm %s %s from]" heed-method (if rollout "all" "L5")))))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks heed-method "last" "from" 14)))
        (should (heed-tests--marks))
        (push (cons heed-method (heed-tests--marks)) marks))
      (should (equal (nreverse seen)
                     '("norm-summed" "attention" "attn-res-ln" "attn-res" "norm" "rollout"
                       "norm-rollout" "alti" "alti-rollout" "globenc" "value-zeroing"
                       "norm-summed")))
      ;; The follow-ups shade differently from what they are compared with.
      (should-not (equal (alist-get "alti" marks nil nil #'equal)
                         (alist-get "attention" marks nil nil #'equal)))
      (should-not (equal (alist-get "value-zeroing" marks nil nil #'equal)
                         (alist-get "attention" marks nil nil #'equal)))
      (should-not (equal (alist-get "globenc" marks nil nil #'equal)
                         (alist-get "rollout" marks nil nil #'equal))))
    ;; Names in the echo area.
    (setq-local heed-method "norm-rollout")
    (let ((messages nil))
      (cl-letf* ((real-message (symbol-function 'message))
                 ((symbol-function 'message)
                  (lambda (fmt &rest args)
                    (when fmt (push (apply #'format fmt args) messages))
                    (apply real-message fmt args))))
        (heed-cycle-method))
      (should (member "heed: method alti: ALTI (Ferrando et al. 2022)" messages)))
    (heed-tests--wait)
    (should (equal heed-method "alti"))
    (should (equal (heed--describe-method "alti") "ALTI (Ferrando et al. 2022)"))
    (should (string-match-p "Mohebbi" (heed--describe-method "value-zeroing")))
    (should (string-match-p "GlobEnc" (heed--describe-method "globenc")))
    (should (equal (heed--describe-method "a-future-method") "a-future-method"))
    ;; ALTI and value zeroing in layer 2, both directions: the daemon's shading.
    (heed-set-layer 2)
    (dolist (method '("alti" "value-zeroing"))
      (setq-local heed-method method)
      (dolist (direction '("from" "to"))
        (setq-local heed-direction direction)
        (heed--refresh)
        (heed-tests--wait)
        (should (equal (plist-get heed--result :layer) 2))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks method 2 direction 14)))))))

(ert-deftest heed-value-zeroing-says-computing ()
  "While value zeroing runs, the echo area and the mode line say so; Emacs
is not blocked; the answer is the daemon's."
  (heed-tests--ensure-daemon)
  (let ((text (mapconcat (lambda (i)
                           (format "Line %d: the quick brown fox jumps over the lazy dog near the bank." i))
                         (number-sequence 1 6) "\n"))
        (messages nil))
    (heed-tests--with-buffer (concat text "\n")
      (setq-local heed-method "value-zeroing")
      (let ((heed-busy-delay 0)
            (busy-seen nil)
            (ticks 0))
        (cl-letf* ((real-message (symbol-function 'message))
                   ((symbol-function 'message)
                    (lambda (fmt &rest args)
                      (when fmt (push (apply #'format fmt args) messages))
                      (apply real-message fmt args))))
          (goto-char 12)
          (call-interactively #'heed-analyze)
          ;; The command returned at once: the request runs in the background.
          (should heed--pending)
          (with-timeout (60 (ert-fail "timed out waiting for value zeroing"))
            (while (or heed--pending (timerp heed--timer))
              (cl-incf ticks)
              (when heed--busy
                (setq busy-seen t)
                (should (string-suffix-p " computing value zeroing...]" (heed--mode-line-string))))
              (accept-process-output nil 0.01))))
        (should (> ticks 0))
        (should busy-seen)
        (should (member "heed: computing value zeroing..." messages))
        (should (member "heed: value zeroing done" messages))
        (should-not heed--busy)
        (should (equal (heed--mode-line-string) " heed[minilm value-zeroing L5 from]"))
        (should (equal (heed-tests--marks)
                       (heed-tests--daemon-marks "value-zeroing" "last" "from" 11)))))))

(ert-deftest heed-value-zeroing-is-not-restarted-by-a-move ()
  "Point moving while value zeroing runs cancels nothing; the new focus is
asked for when it lands, and shaded as the daemon answers."
  (heed-tests--ensure-daemon)
  (let ((text (mapconcat (lambda (i)
                           (format "Row %d: a slow brown fox walks past the lazy dogs by the river." i))
                         (number-sequence 1 20) "\n"))
        (cancels 0)
        (highlights 0))
    (heed-tests--with-buffer (concat text "\n")
      (setq-local heed-method "value-zeroing")
      (heed-mode 1)
      (let ((heed-busy-delay 0)
            (inhibit-message t))
        (cl-letf* ((real-notify (symbol-function 'jsonrpc-notify))
                   ((symbol-function 'jsonrpc-notify)
                    (lambda (conn method params)
                      (when (eq method '$/cancelRequest) (cl-incf cancels))
                      (funcall real-notify conn method params)))
                   (real-request (symbol-function 'jsonrpc-async-request))
                   ((symbol-function 'jsonrpc-async-request)
                    (lambda (conn method params &rest args)
                      (when (eq method 'heed/highlight) (cl-incf highlights))
                      (apply real-request conn method params args))))
          (goto-char 12)
          (call-interactively #'heed-analyze)
          (with-timeout (30 (ert-fail "value zeroing never said it was running"))
            (while (not heed--busy) (accept-process-output nil 0.01)))
          ;; Point moves to the third row; the debounce fires while it runs.
          (goto-char (+ (line-beginning-position 3) 12))
          (heed--post-command)
          (with-timeout (30 (ert-fail "the debounce did not fire"))
            (while (timerp heed--timer) (accept-process-output nil 0.01)))
          (should heed--after)
          (heed-tests--wait)
          (should (= cancels 0))
          (should (= highlights 2))
          (should-not heed--after)
          (let ((offset (- (point) (point-min))))
            (should (equal (heed-tests--focus)
                           (let ((answer (heed-tests--answer "value-zeroing" "last" "from" offset)))
                             (list (+ 1 (plist-get (plist-get answer :focus) :start))
                                   (+ 1 (plist-get (plist-get answer :focus) :end))
                                   (buffer-substring-no-properties
                                    (+ 1 (plist-get (plist-get answer :focus) :start))
                                    (+ 1 (plist-get (plist-get answer :focus) :end)))))))
            (should (equal (heed-tests--marks)
                           (heed-tests--daemon-marks "value-zeroing" "last" "from" offset))))))
      (heed-mode -1))))

(ert-deftest heed-decoder-smollm2 ()
  "A decoder, unchanged: smollm2 (fetched on first use) lists the methods
of a pre-norm model, the focus of point is the token before it, and the
overlays are the daemon's answer."
  (heed-tests--ensure-daemon)
  (with-temp-buffer
    (insert "The capital of France is\n")
    (setq-local heed-model "smollm2")
    (setq-local heed-method "norm-summed")
    (setq-local heed-layer 'last)
    (setq-local heed-direction "from")
    (unwind-protect
        (progn
          ;; Point on the space before "France" (offset 14): " France" starts
          ;; there, so the token before point is " of" (an encoder would
          ;; take " France").
          (goto-char 15)
          (call-interactively #'heed-analyze)
          (heed-tests--wait)
          (let ((info (jsonrpc-request heed--connection 'heed/loadModel
                                       (list :model "smollm2") :timeout 60)))
            (should (eq (plist-get info :causal) t))
            (should (eq (plist-get info :predicts) t))
            (should (equal (append (plist-get info :methods) nil)
                           '("norm-summed" "attention" "attn-res" "norm" "rollout"
                             "norm-rollout" "alti" "alti-rollout" "value-zeroing"))))
          (should (equal (heed-tests--focus) '(12 15 " of")))
          (should (equal (heed-tests--marks)
                         (heed-tests--daemon-marks "norm-summed" "last" "from" 14 "smollm2")))
          (should (equal (heed--mode-line-string) " heed[smollm2 norm-summed L29 from]"))
          (let ((seen (list heed-method)))
            (dotimes (_ 9)
              (heed-cycle-method)
              (push heed-method seen))
            (heed-tests--wait)
            (should (equal (nreverse seen)
                           '("norm-summed" "attention" "attn-res" "norm" "rollout"
                             "norm-rollout" "alti" "alti-rollout" "value-zeroing"
                             "norm-summed")))))
      (heed-clear))))

(ert-deftest heed-edit-clears ()
  "An edit inside the span clears the overlays; one outside leaves them."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (should (= (length (heed-tests--overlays 'range)) 21))
    ;; Outside, before the span: everything moves by one character.
    (goto-char 1)
    (insert "X")
    (should (equal (heed-tests--focus) '(42 46 "keys")))
    (should (= (length (heed-tests--overlays 'range)) 21))
    ;; Just after the span's end (on the final newline): still outside.
    (goto-char 115)
    (insert "Y")
    (should (= (length (heed-tests--overlays 'range)) 21))
    ;; Inside, in the whitespace between two tokens: cleared.
    (goto-char 46)
    (insert " ")
    (should-not (heed-tests--overlays 'range))
    (should-not (heed-tests--overlays 'focus))
    (should-not heed--span)
    (should (equal (heed--mode-line-string) ""))))

(ert-deftest heed-newer-request-cancels-older ()
  "A newer request sends $/cancelRequest for the older one; only it is drawn."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (let (sent)
      (cl-letf* ((orig (symbol-function 'jsonrpc-notify))
                 ((symbol-function 'jsonrpc-notify)
                  (lambda (conn method params)
                    (push (cons method params) sent)
                    (funcall orig conn method params))))
        (goto-char 55)                  ; in "cabinet"
        (heed--request (heed--offset-at (point)))
        (let ((first-id (plist-get heed--pending :id)))
          (should (integerp first-id))
          (goto-char 74)                ; in "table"
          (heed--request (heed--offset-at (point)))
          (should (equal sent `(($/cancelRequest :id ,first-id))))
          (heed-tests--wait)
          (should (equal (heed-tests--focus) '(72 77 "table"))))))))

(ert-deftest heed-mode-follows-point ()
  "In heed-mode a cursor move redraws after the debounce, from the new focus."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-mode 1)
    (heed-tests--analyze-at-keys)
    (goto-char 98)                      ; in "said"
    (heed--post-command)
    (should (timerp heed--timer))
    (heed-tests--wait)
    (should (equal (heed-tests--focus) '(97 101 "said")))
    (should (member '(41 45 "keys") (heed-tests--positions)))
    ;; Outside the span: nothing is asked, the shading stays.
    (goto-char 5)
    (heed--post-command)
    (should-not heed--timer)
    (should (equal (heed-tests--focus) '(97 101 "said")))
    (heed-mode -1)))

(ert-deftest heed-info-shows-both-methods ()
  "heed-info names the token, its value and score, and both top-5 lists."
  (heed-tests--ensure-daemon)
  (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
    (heed-tests--analyze-at-keys)
    (goto-char 55)                      ; on "cabinet", a shaded unit
    (let* ((ov (car (seq-filter (lambda (o) (eq (overlay-get o 'heed) 'range))
                                (overlays-at 55))))
           (shown (heed-info))
           (lines (split-string shown "\n")))
      (should (= (length lines) 3))
      (should (equal (car lines)
                     (format "\"cabinet\"  value %.4g  score %.3f  bucket %d  (norm-summed layer 5, from \"keys\")"
                             (overlay-get ov 'heed-value) (overlay-get ov 'heed-score)
                             (overlay-get ov 'heed-bucket))))
      (should (string-prefix-p "norm-summed (norm):  " (nth 1 lines)))
      (should (string-prefix-p "attention (weight):  " (nth 2 lines)))
      ;; The attention line lists the daemon's top 5 by attention, strongest first.
      (let* ((answer (jsonrpc-request heed--connection 'heed/highlight
                                      (list :model "minilm" :text heed--text
                                            :focus '(:start 12 :end 16)
                                            :method "attention" :layer 5 :topK 5)))
             (top (seq-sort-by (lambda (r) (plist-get r :value)) #'>
                               (plist-get answer :ranges))))
        (should (equal (nth 2 lines)
                       (concat "attention (weight):  "
                               (mapconcat (lambda (r)
                                            (format "%s %.2f"
                                                    (substring heed--text (plist-get r :start)
                                                               (plist-get r :end))
                                                    (plist-get r :score)))
                                          top "  "))))))))

(ert-deftest heed-long-text-shades-window ()
  "Beyond the model's 512 tokens, only the returned window is shaded, and heed says so."
  (heed-tests--ensure-daemon)
  (let ((text (mapconcat #'identity (make-list 150 "the cat sat on a mat.") " "))
        (messages nil))
    (heed-tests--with-buffer text
      (cl-letf* ((orig (symbol-function 'message))
                 ((symbol-function 'message)
                  (lambda (fmt &rest args)
                    (when fmt (push (apply #'format-message fmt args) messages))
                    (apply orig fmt args))))
        (goto-char (/ (length text) 2))
        (heed-analyze (point-min) (point-max))
        (heed-tests--wait))
      (let* ((window (plist-get heed--result :window))
             (wbeg (+ 1 (plist-get window :start)))
             (wend (+ 1 (plist-get window :end)))
             (ranges (heed-tests--overlays 'range)))
        (should window)
        (should (> wbeg 1))
        (should (< wend (point-max)))
        (should (= (overlay-start (car ranges)) wbeg))
        (should (= (overlay-end (car (last ranges))) wend))
        (should (= (1+ (length ranges)) 510)) ; 512 positions minus [CLS] and [SEP]
        (should (seq-some (lambda (m) (string-prefix-p "heed: the text is beyond the 512-token limit of minilm; shading the window" m))
                          messages))
        (should (string-suffix-p " window]" (heed--mode-line-string)))))))

(ert-deftest heed-killed-daemon-restarts-once ()
  "A killed daemon is restarted once with a message; a second death is final."
  (heed-tests--ensure-daemon)
  (let ((messages nil))
    (cl-letf* ((orig (symbol-function 'message))
               ((symbol-function 'message)
                (lambda (fmt &rest args)
                  (when fmt (push (apply #'format-message fmt args) messages))
                  (apply orig fmt args))))
      (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
        (heed-tests--analyze-at-keys)
        (let* ((first heed--process)
               (pid (process-id first)))
          (signal-process first 'KILL)
          (with-timeout (20 (ert-fail "no restart"))
            (while (not (and heed--process (not (eq heed--process first))
                             (process-live-p heed--process)))
              (accept-process-output nil 0.02)))
          (should-not (process-live-p first))
          (should-not (file-exists-p (format "/proc/%d" pid))) ; reaped: no zombie
          (should (seq-some (lambda (m) (string-match-p "\\`heed: the daemon died (killed by signal 9.*); restarting it" m))
                            messages))
          (should (member "heed: the daemon was restarted" messages))
          ;; The new daemon answers: the method changes and is drawn.
          (heed-cycle-method)
          (heed-tests--wait)
          (should (equal (plist-get heed--result :method) "attention"))
          (should (equal (heed-tests--focus) heed-tests--focus))
          ;; A second death is not followed by a restart.
          (let ((second heed--process))
            (signal-process second 'KILL)
            (with-timeout (20 (ert-fail "the second death went unnoticed"))
              (while (not heed--gave-up)
                (accept-process-output nil 0.02)))
            (accept-process-output nil 0.2)
            (should-not heed--process)
            (should-not (process-live-p second))
            (should (seq-some (lambda (m) (string-prefix-p "heed: the daemon died again" m))
                              messages))
            (should (equal (should-error (heed-cycle-method) :type 'user-error)
                           '(user-error "heed: the daemon died twice; M-x heed-restart starts it again"))))
          ;; heed-restart starts a new one.
          (heed-restart)
          (should (process-live-p heed--process)))))))

(ert-deftest heed-errors-are-messages ()
  "An unknown model is a message naming the error; a missing executable a user-error."
  (heed-tests--ensure-daemon)
  (let ((messages nil))
    (cl-letf* ((orig (symbol-function 'message))
               ((symbol-function 'message)
                (lambda (fmt &rest args)
                  (when fmt (push (apply #'format-message fmt args) messages))
                  (apply orig fmt args))))
      (heed-tests--with-buffer (concat heed-tests--intro heed-tests--paragraph "\n")
        (setq-local heed-model "no-such-model")
        (heed-tests--analyze-at-keys)
        (should-not heed--pending)
        (should-not (heed-tests--overlays 'range))
        (should (seq-some (lambda (m)
                            (and (string-prefix-p "heed: cannot load no-such-model: " m)
                                 (string-suffix-p "(the catalog: minilm, smollm2) [-32010]" m)))
                          messages)))))
  (let ((heed-executable "/nonexistent/heed"))
    (should (equal (should-error (heed--executable) :type 'user-error)
                   '(user-error "heed: cannot find the executable \"/nonexistent/heed\"; \
set \u2018heed-executable\u2019 or HEED_EXECUTABLE, or put heed on PATH")))))

(defun heed-tests--cross (name)
  "Shade the cross-editor fixture NAME, check it against the daemon.
Write emacs<suffix>.json to $HEED_CROSS_OUT (cross-editor.json gives
emacs.json, cross-editor-smollm2.json emacs-smollm2.json).  Return the
marks, (:start S :end E :bucket K) in utf-32 offsets (characters)."
  (let* ((fixture (with-temp-buffer
                    (insert-file-contents
                     (expand-file-name (concat "../fixtures/" name) heed-tests--dir))
                    (json-parse-buffer :object-type 'plist)))
         (text (plist-get fixture :text))
         (selection (plist-get fixture :selection))
         (cursor (plist-get fixture :cursor))
         (out (getenv "HEED_CROSS_OUT")))
    (heed-tests--with-buffer text
      (setq-local heed-model (plist-get fixture :model))
      (setq-local heed-method (plist-get fixture :method))
      (setq-local heed-layer (plist-get fixture :layer))
      (setq-local heed-direction (plist-get fixture :direction))
      (heed-mode 1)
      ;; Select forward, analyse, then put the cursor at `cursor'.
      (transient-mark-mode 1)
      (set-mark (+ (point-min) (plist-get selection :start)))
      (goto-char (+ (point-min) (plist-get selection :end)))
      (activate-mark)
      (call-interactively #'heed-analyze)
      (heed-tests--wait)
      (goto-char (+ (point-min) cursor))
      (heed--post-command)
      (heed-tests--wait)
      (let* ((origin (point-min))
             (focus-ov (car (heed-tests--overlays 'focus)))
             (focus (list :start (- (overlay-start focus-ov) origin)
                          :end (- (overlay-end focus-ov) origin)))
             (sorted (heed-tests--sorted (heed-tests--marks)))
             (marks (mapcar (lambda (m)
                              (list :start (- (nth 0 m) origin) :end (- (nth 1 m) origin)
                                    :bucket (nth 2 m)))
                            sorted)))
        (should (equal sorted
                       (heed-tests--sorted
                        (heed-tests--daemon-marks (plist-get fixture :method)
                                                  (plist-get fixture :layer)
                                                  (plist-get fixture :direction)
                                                  cursor
                                                  (plist-get fixture :model)))))
        (when (and out (not (string-empty-p out)))
          (make-directory out t)
          (with-temp-file (expand-file-name
                           (concat "emacs" (substring name (length "cross-editor") -5) ".json")
                           out)
            (insert (json-serialize
                     (list :focus focus
                           :marks (vconcat marks))))
            (insert "\n")))
        (list :focus focus :marks marks :text (buffer-string))))))

(ert-deftest heed-cross-editor-fixture ()
  "The shared fixture: shade it, compare with the daemon, write emacs.json."
  (heed-tests--ensure-daemon)
  (let* ((run (heed-tests--cross "cross-editor.json"))
         (marks (plist-get run :marks)))
    (should (equal (plist-get run :focus) '(:start 12 :end 16)))
    (should (= (length marks) 21))
    (should (equal (substring (plist-get run :text) 54 58) "cafe"))
    (should (member '(:start 66 :end 67 :bucket) (mapcar (lambda (m) (seq-take m 5)) marks)))))

(ert-deftest heed-cross-editor-fixture-decoder ()
  "The fixture with SmolLM2: compare with the daemon, write emacs-smollm2.json."
  (heed-tests--ensure-daemon)
  (let* ((run (heed-tests--cross "cross-editor-smollm2.json"))
         (marks (plist-get run :marks)))
    ;; " far" is the focus; the 29 tokens before it are shaded (five
    ;; overlap over the combining mark, 東 and 京), the "." after it not.
    (should (equal (plist-get run :focus) '(:start 79 :end 83)))
    (should (= (length marks) 29))
    (should (seq-every-p (lambda (m) (<= (plist-get m :end) 79)) marks))
    (should (equal (mapcar (lambda (m) (list (plist-get m :start) (plist-get m :end)))
                           (seq-filter (lambda (m) (and (>= (plist-get m :start) 72)
                                                        (<= (plist-get m :end) 75)))
                                       marks))
                   '((72 74) (73 74) (73 74) (74 75) (74 75))))))

;;;; A decoder: SmolLM2 (catalog `smollm2'), unchanged

(defconst heed-tests--decoder-text
  "The keys to the cabinet are on the table.\nZürich said 東京 was far.\n"
  "Byte-level BPE tokens carry the space before a word; the UTF-8 bytes
of 東京 are split over five overlapping tokens.")

(defmacro heed-tests--with-decoder (&rest body)
  "Run BODY in a buffer holding `heed-tests--decoder-text', model smollm2."
  (declare (indent 0))
  `(heed-tests--with-buffer heed-tests--decoder-text
     (setq-local heed-model "smollm2")
     ,@body))

(defun heed-tests--decoder-at (pos)
  "Analyse the first paragraph of the decoder text with point at POS."
  (goto-char pos)
  (call-interactively #'heed-analyze)
  (heed-tests--wait))

(defun heed-tests--decoder-check (method direction offset &optional granularity)
  "Check the overlays against the daemon for METHOD, DIRECTION, OFFSET."
  (should (equal (plist-get heed--result :method) method))
  (should (equal (heed-tests--sorted (heed-tests--marks))
                 (heed-tests--sorted
                  (heed-tests--daemon-marks method "last" direction offset
                                            "smollm2" granularity)))))

(defun heed-tests--after (pos)
  "The range overlays that end after POS."
  (seq-filter (lambda (ov) (> (overlay-end ov) pos)) (heed-tests--overlays 'range)))

(ert-deftest heed-decoder-shades-causally-by-norm-and-weight ()
  "smollm2: ModelInfo read, weight/norm toggle, the cycle without attn-res-ln, causal."
  (heed-tests--ensure-daemon)
  (heed-tests--with-decoder
    (heed-tests--decoder-at 18)        ; the "a" of "cabinet" (offset 17)
    (let ((info (gethash "smollm2" heed--model-info)))
      (should (equal (heed--methods info)
                     '("norm-summed" "attention" "attn-res" "norm" "rollout" "norm-rollout"
                       "alti" "alti-rollout" "value-zeroing")))
      (should (eq (plist-get info :causal) t)))
    ;; The focus keeps its leading space; exactly the four tokens before
    ;; it are shaded, "The" (the first token) the most.
    (should (equal (heed-tests--focus) '(16 24 " cabinet")))
    (should (equal (heed-tests--positions)
                   '((1 4 "The") (4 9 " keys") (9 12 " to") (12 16 " the"))))
    (heed-tests--decoder-check "norm-summed" "from" 17)
    (should (= (nth 2 (car (heed-tests--marks))) 7))
    ;; The daemon gives every later token value 0; none is shaded.
    (let ((later (seq-filter (lambda (r) (>= (plist-get r :start) 23))
                             (plist-get (heed-tests--answer "norm-summed" "last" "from" 17
                                                            "smollm2")
                                        :ranges))))
      (should (= (length later) 18))
      (should (seq-every-p (lambda (r) (= (plist-get r :value) 0)) later)))
    (should-not (heed-tests--after 24))
    (should (equal (plist-get heed--result :layer) 29))
    (should (equal (heed--mode-line-string) " heed[smollm2 norm-summed L29 from]"))
    ;; One keystroke: attention weights, other buckets, still causal.
    (let ((by-norm (heed-tests--marks)))
      (heed-cycle-method)
      (heed-tests--wait)
      (should (equal heed-method "attention"))
      (heed-tests--decoder-check "attention" "from" 17)
      (should-not (equal (heed-tests--marks) by-norm))
      (should (= (length (heed-tests--marks)) 4))
      (should-not (heed-tests--after 24)))
    ;; The cycle offers only smollm2's methods (no attn-res-ln, no globenc);
    ;; each, the follow-ups ALTI and value zeroing included, is causal and
    ;; the daemon's shading.
    (let ((seen (list heed-method)))
      (dotimes (_ 9)
        (heed-cycle-method)
        (heed-tests--wait)
        (push heed-method seen)
        (heed-tests--decoder-check heed-method "from" 17)
        (should (heed-tests--marks))
        (should-not (heed-tests--after 24)))
      (should (equal (nreverse seen)
                     '("attention" "attn-res" "norm" "rollout" "norm-rollout"
                       "alti" "alti-rollout" "value-zeroing" "norm-summed" "attention"))))
    ;; A method the model lacks falls back to its first one.
    (setq-local heed-method "attn-res-ln")
    (heed--refresh)
    (heed-tests--wait)
    (should (equal heed-method "norm-summed"))
    (heed-tests--decoder-check "norm-summed" "from" 17)
    ;; Direction to: only later tokens attend to the focus.
    (heed-cycle-direction)
    (heed-tests--wait)
    (should (equal heed-direction "to"))
    (heed-tests--decoder-check "norm-summed" "to" 17)
    (should (heed-tests--marks))
    (should (seq-every-p (lambda (m) (>= (car m) 24)) (heed-tests--marks)))))

(ert-deftest heed-decoder-first-token-and-overlapping-tokens ()
  "The first token sees only itself; of overlapping tokens the strongest shows."
  (heed-tests--ensure-daemon)
  (heed-tests--with-decoder
    (heed-tests--decoder-at 2)         ; "The"
    (should (equal (heed-tests--focus) '(1 4 "The")))
    (should-not (heed-tests--marks))
    (heed-tests--decoder-check "norm-summed" "from" 1)
    (heed-clear)
    ;; " far" is [60, 64): positions 61 to 65; the cursor on its "a".
    (setq-local heed-mode nil)
    (goto-char 63)
    (call-interactively #'heed-analyze)
    (heed-tests--wait)
    (should (equal (heed-tests--focus) '(61 65 " far")))
    (heed-tests--decoder-check "norm-summed" "from" 62)
    ;; The five tokens over " 東京" (positions 54 to 57).
    (should (equal (seq-filter (lambda (p) (and (>= (car p) 54) (<= (cadr p) 57)))
                               (heed-tests--sorted
                                (mapcar (lambda (m) (seq-take m 2)) (heed-tests--marks))))
                   '((54 56) (55 56) (55 56) (56 57) (56 57))))
    ;; At every character the overlay on top is the strongest unit there.
    (dolist (pos (number-sequence 43 65))
      (let* ((ranges (seq-filter (lambda (o) (eq (overlay-get o 'heed) 'range))
                                 (overlays-at pos t)))
             (best (seq-reduce #'max (mapcar (lambda (o) (overlay-get o 'heed-bucket)) ranges) -1)))
        (when ranges
          (should (equal (list pos (overlay-get (car ranges) 'heed-bucket)) (list pos best))))))
    (should-not (heed-tests--after 65))))

(ert-deftest heed-decoder-info-lists-what-the-focus-sees ()
  "heed-info on a decoder: the top lists hold only the tokens before the focus."
  (heed-tests--ensure-daemon)
  (heed-tests--with-decoder
    (heed-tests--decoder-at 18)
    (goto-char 5)                      ; on " keys", a shaded unit
    (let* ((lines (split-string (heed-info) "\n"))
           (answer (heed-tests--answer "norm-summed" "last" "from" 17 "smollm2"))
           (top (seq-filter (lambda (r) (/= (plist-get r :value) 0))
                            (seq-sort-by (lambda (r) (plist-get r :value)) #'>
                                         (plist-get answer :ranges)))))
      (should (string-prefix-p "\" keys\"  value " (car lines)))
      (should (string-suffix-p "(norm-summed layer 29, from \" cabinet\")" (car lines)))
      ;; ModelInfo says `predicts': the 5 most probable next tokens, as
      ;; heed/predict gives them for the text up to the focus.
      (should (eq (plist-get (gethash "smollm2" heed--model-info) :predicts) t))
      (let ((want (jsonrpc-request heed--connection 'heed/predict
                                   (list :model "smollm2" :text (substring heed--text 0 23)
                                         :topK 5)
                                   :timeout 60)))
        (should (= (length (plist-get want :tokens)) 5))
        (should (equal (pop (cdr lines))
                       (concat "next:  "
                               (mapconcat (lambda (p)
                                            (format "%S %.1f%%" (plist-get p :text)
                                                    (* 100 (plist-get p :probability))))
                                          (plist-get want :tokens) "  ")))))
      (should (= (length lines) 3))
      (should (= (length top) 4))
      (should (equal (nth 1 lines)
                     (concat "norm-summed (norm):  "
                             (mapconcat (lambda (r)
                                          (format "%s %.2f"
                                                  (substring heed--text (plist-get r :start)
                                                             (plist-get r :end))
                                                  (plist-get r :score)))
                                        top "  "))))
      (should (string-prefix-p "attention (weight):  The 1.00  " (nth 2 lines)))
      (should (= (length (split-string (nth 2 lines) "  " t)) 5)))
    ;; A line-feed token (SmolLM2's "Ċ") stays visible in the lists.
    (let ((heed--text "table.\nZ"))
      (should (equal (heed--unit-text 6 7) "↵")))))

(ert-deftest heed-decoder-word-granularity ()
  "Words of byte-level tokens: \"Zürich\" and \" 東京\" are one unit each."
  (heed-tests--ensure-daemon)
  (heed-tests--with-decoder
    (setq-local heed-granularity "word")
    (heed-tests--decoder-at 63)
    (should (equal (heed-tests--focus) '(61 65 " far")))
    (heed-tests--decoder-check "norm-summed" "from" 62 "word")
    (should (equal (seq-filter (lambda (p) (>= (car p) 43)) (heed-tests--positions))
                   '((43 49 "Zürich") (49 54 " said") (54 57 " 東京") (57 61 " was"))))))

(provide 'heed-tests)

;;; heed-tests.el ends here
