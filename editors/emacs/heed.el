;;; heed.el --- Shade what the token at point attends to, by weight and by norm  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: tools, languages, convenience

;; This file is part of Heed.

;;; Commentary:

;; Heed's Emacs client.  `heed serve' is a daemon speaking JSON-RPC 2.0
;; over stdio with LSP framing (protocol.md in the Heed repository);
;; this file starts it, speaks the protocol with the built-in
;; `jsonrpc.el', and draws the answers as overlays.
;;
;; M-x heed-analyze takes the region (or the current paragraph) as the
;; analysed span and shades every token of it by what the token at
;; point attends to.  With `heed-mode' on, the shading follows point.
;; `heed-cycle-method' flips between attention weights and the
;; norm-based methods (Kobayashi and others, 2020) in one keystroke.
;;
;; Positions: the client negotiates the "utf-32" position encoding, so
;; every offset the daemon sends counts Unicode scalars, which are
;; exactly Emacs characters.  The text sent is the buffer's text, not
;; the file's bytes: a CRLF file decoded with a -dos coding system
;; holds one LF per line in the buffer, and that is what the offsets
;; count.  Tabs, combining marks, emoji and CJK are one character per
;; scalar in a buffer, so an offset K is the buffer position BEG + K.

;;; Code:

(require 'cl-lib)
(require 'eieio)
(require 'jsonrpc)
(require 'seq)
(require 'subr-x)

(defconst heed-version "0.1.0"
  "The version of heed.el.")

;;;; Settings

(defgroup heed nil
  "Shade what the token at point attends to, by attention weight or by norm."
  :group 'tools
  :prefix "heed-")

(defcustom heed-executable nil
  "The heed executable that `heed serve' is started from.
When nil, the environment variable HEED_EXECUTABLE names it, and
without that the program \"heed\" is searched on the variable
`exec-path'.  A name without a slash is searched there too."
  :type '(choice (const :tag "HEED_EXECUTABLE, else heed on exec-path" nil)
                 (string :tag "Program name or path")))

(defcustom heed-serve-arguments nil
  "Extra arguments given to `heed serve', such as (\"--log-level\" \"info\")."
  :type '(repeat string))

(defcustom heed-model "minilm"
  "The model that analyses the text.
A catalog name (\"minilm\"), a directory holding config.json,
*.safetensors and tokenizer.json, or a Hugging Face repo id present
in the local Hugging Face cache.  `heed-select-model' picks one for
the current buffer from the models the daemon lists."
  :type 'string)

(defcustom heed-method "norm-summed"
  "The highlight method used first.
`heed-cycle-method' moves through the methods the model supports
in the order the daemon lists them; when the model does not support
this one, its first method is used instead."
  :type '(choice (const :tag "Norm of the summed heads (Attn-N)" "norm-summed")
                 (const :tag "Attention weights, mean over heads" "attention")
                 (const :tag "With residual and LayerNorm (AttnResLn-N)" "attn-res-ln")
                 (const :tag "With residual (AttnRes-N)" "attn-res")
                 (const :tag "Norm, mean over heads" "norm")
                 (const :tag "Attention rollout" "rollout")
                 (const :tag "Norm rollout" "norm-rollout")
                 (const :tag "ALTI (Ferrando et al. 2022)" "alti")
                 (const :tag "ALTI rolled out over the layers" "alti-rollout")
                 (const :tag "GlobEnc (Modarressi et al. 2022), post-LN encoders" "globenc")
                 (const :tag "Value zeroing (Mohebbi et al. 2023), slow" "value-zeroing")
                 (string :tag "Another method")))

(defcustom heed-layer 'last
  "The 0-based layer whose scores are shown, or the symbol `last'.
Rollouts span all layers and ignore it."
  :type '(choice (const :tag "The last layer" last)
                 (integer :tag "Layer (0-based)")))

(defcustom heed-direction "from"
  "Which way the focus's scores are read.
\"from\": what the focus attends to; \"to\": which tokens attend to
the focus; \"received\": how much each token receives from all."
  :type '(choice (const "from") (const "to") (const "received")))

(defcustom heed-granularity "token"
  "Whether the shaded units are tokens or whole words."
  :type '(choice (const "token") (const "word")))

(defcustom heed-debounce 0.05
  "Seconds of stillness after a cursor move before `heed-mode' asks the daemon."
  :type 'number)

(defcustom heed-request-timeout 60
  "Seconds to wait for a highlight before giving up on it."
  :type 'number)

(defcustom heed-busy-delay 0.3
  "Seconds a highlight may take before heed says it is being computed.
Value zeroing re-runs each layer once per token and takes seconds on
a few hundred tokens: when its answer has not come after this delay,
the echo area says \"computing value zeroing...\" and the mode line
shows it until the shading is drawn.  The request runs in the
background; Emacs stays usable.  nil: never say it."
  :type '(choice (const :tag "Never" nil) number))

(defcustom heed-events-buffer-size 0
  "Size in characters of the *heed events* log of JSON-RPC traffic.
0 keeps no log (the fastest); nil keeps everything."
  :type '(choice (const :tag "Unlimited" nil) integer))

;;;; Faces: one sequential scale over 8 buckets

;; Light backgrounds: pale yellow to deep orange under the theme's dark
;; text.  Dark backgrounds: warm greys to amber; buckets 4 to 7 are bright
;; enough to take black text.  On 256-colour terminals the colours are
;; xterm palette entries chosen for the same order of lightness (the
;; nearest-colour match of the hex values is not monotonic there).

(defface heed-0
  '((((class color) (min-colors 16777216) (background dark)) :background "#262420")
    (((class color) (min-colors 16777216) (background light)) :background "#fff8d6")
    (((class color) (min-colors 256) (background dark)) :background "color-235")
    (((class color) (min-colors 256) (background light)) :background "color-230")
    (((class color) (min-colors 88) (background dark)) :background "#262420")
    (((class color) (min-colors 88) (background light)) :background "#fff8d6")
    (t :inherit default))
  "Face of the units scored in [0, 1/8), the weakest bucket."
  :group 'heed)

(defface heed-1
  '((((class color) (min-colors 16777216) (background dark)) :background "#36322a")
    (((class color) (min-colors 16777216) (background light)) :background "#ffeda0")
    (((class color) (min-colors 256) (background dark)) :background "color-237")
    (((class color) (min-colors 256) (background light)) :background "color-229")
    (((class color) (min-colors 88) (background dark)) :background "#36322a")
    (((class color) (min-colors 88) (background light)) :background "#ffeda0")
    (t :inherit default))
  "Face of the units scored in [1/8, 2/8)."
  :group 'heed)

(defface heed-2
  '((((class color) (min-colors 16777216) (background dark)) :background "#4a4234")
    (((class color) (min-colors 16777216) (background light)) :background "#fed976")
    (((class color) (min-colors 256) (background dark)) :background "color-239")
    (((class color) (min-colors 256) (background light)) :background "color-222")
    (((class color) (min-colors 88) (background dark)) :background "#4a4234")
    (((class color) (min-colors 88) (background light)) :background "#fed976")
    (t :inherit default))
  "Face of the units scored in [2/8, 3/8)."
  :group 'heed)

(defface heed-3
  '((((class color) (min-colors 16777216) (background dark)) :background "#7a5a1c")
    (((class color) (min-colors 16777216) (background light)) :background "#feb24c")
    (((class color) (min-colors 256) (background dark)) :background "color-94")
    (((class color) (min-colors 256) (background light)) :background "color-221")
    (((class color) (min-colors 88) (background dark)) :background "#7a5a1c")
    (((class color) (min-colors 88) (background light)) :background "#feb24c")
    (((class color)) :background "yellow" :foreground "black")
    (t :inverse-video t))
  "Face of the units scored in [3/8, 4/8)."
  :group 'heed)

(defface heed-4
  '((((class color) (min-colors 16777216) (background dark)) :background "#b8651e" :foreground "black")
    (((class color) (min-colors 16777216) (background light)) :background "#fd9a42")
    (((class color) (min-colors 256) (background dark)) :background "color-130" :foreground "black")
    (((class color) (min-colors 256) (background light)) :background "color-215")
    (((class color) (min-colors 88) (background dark)) :background "#b8651e" :foreground "black")
    (((class color) (min-colors 88) (background light)) :background "#fd9a42")
    (((class color)) :background "yellow" :foreground "black")
    (t :inverse-video t))
  "Face of the units scored in [4/8, 5/8)."
  :group 'heed)

(defface heed-5
  '((((class color) (min-colors 16777216) (background dark)) :background "#d07420" :foreground "black")
    (((class color) (min-colors 16777216) (background light)) :background "#fc7c36")
    (((class color) (min-colors 256) (background dark)) :background "color-166" :foreground "black")
    (((class color) (min-colors 256) (background light)) :background "color-209")
    (((class color) (min-colors 88) (background dark)) :background "#d07420" :foreground "black")
    (((class color) (min-colors 88) (background light)) :background "#fc7c36")
    (((class color)) :background "yellow" :foreground "black")
    (t :inverse-video t))
  "Face of the units scored in [5/8, 6/8)."
  :group 'heed)

(defface heed-6
  '((((class color) (min-colors 16777216) (background dark)) :background "#e89428" :foreground "black")
    (((class color) (min-colors 16777216) (background light)) :background "#f4602a")
    (((class color) (min-colors 256) (background dark)) :background "color-172" :foreground "black")
    (((class color) (min-colors 256) (background light)) :background "color-202")
    (((class color) (min-colors 88) (background dark)) :background "#e89428" :foreground "black")
    (((class color) (min-colors 88) (background light)) :background "#f4602a")
    (((class color)) :background "red" :foreground "white")
    (t :inverse-video t))
  "Face of the units scored in [6/8, 7/8)."
  :group 'heed)

(defface heed-7
  '((((class color) (min-colors 16777216) (background dark)) :background "#ffb62e" :foreground "black")
    (((class color) (min-colors 16777216) (background light)) :background "#e8431f")
    (((class color) (min-colors 256) (background dark)) :background "color-214" :foreground "black")
    (((class color) (min-colors 256) (background light)) :background "color-166")
    (((class color) (min-colors 88) (background dark)) :background "#ffb62e" :foreground "black")
    (((class color) (min-colors 88) (background light)) :background "#e8431f")
    (((class color)) :background "red" :foreground "white")
    (t :inverse-video t))
  "Face of the units scored in [7/8, 1], the strongest bucket."
  :group 'heed)

(defface heed-focus
  '((t :weight bold :underline t))
  "Face of the focus, the unit whose attention is shown."
  :group 'heed)

(defconst heed--bucket-faces
  [heed-0 heed-1 heed-2 heed-3 heed-4 heed-5 heed-6 heed-7]
  "The face of each bucket, weakest first.")

(defun heed-bucket (score)
  "Return the bucket, 0 to 7, of SCORE: min(7, floor(SCORE * 8))."
  (min 7 (max 0 (floor (* score 8)))))

;;;; The daemon

(defclass heed--process-connection (jsonrpc-process-connection)
  ((last-request-id
    :initform nil :accessor heed--last-request-id
    :documentation "The id of the last request sent, for `$/cancelRequest'."))
  :documentation "A connection to `heed serve' that remembers request ids.")

(cl-defmethod jsonrpc-connection-send :before ((conn heed--process-connection) &rest args)
  "Remember the id of a request CONN sends with ARGS.
`jsonrpc-async-request' does not return it, and cancelling a
request with `$/cancelRequest' needs it."
  (when (and (plist-get args :id) (plist-get args :method))
    (setf (heed--last-request-id conn) (plist-get args :id))))

(defvar heed--connection nil
  "The connection to the running daemon, or nil.")

(defvar heed--process nil
  "The daemon's process, or nil.")

(defvar heed--stopping nil
  "Non-nil while `heed-shutdown' stops the daemon on purpose.")

(defvar heed--starting nil
  "Non-nil while `heed--start' waits for the daemon's `initialize' answer.
A daemon that dies then failed to start; it is not restarted.")

(defvar heed--restarted nil
  "Non-nil once the daemon has been restarted after dying.
It is restarted once; after a second death it stays down until
`heed-restart'.")

(defvar heed--gave-up nil
  "Non-nil when the daemon died after its one restart.")

(defvar heed--model-info (make-hash-table :test #'equal)
  "ModelInfo plists by model id, as `heed/loadModel' answered them.")

(defvar heed--model-waiters (make-hash-table :test #'equal)
  "Callbacks waiting for a model that is loading, by model id.")

(defvar heed--progress (make-hash-table :test #'equal)
  "Progress reporters by `workDoneToken'.")

(defvar heed--token-counter 0
  "Counter that makes `workDoneToken's unique.")

(defun heed--executable ()
  "Return the absolute file name of the heed executable, or signal a `user-error'."
  (let* ((name (or heed-executable (getenv "HEED_EXECUTABLE") "heed"))
         (file (if (string-search "/" name)
                   (let ((f (expand-file-name (substitute-in-file-name name))))
                     (and (file-executable-p f) (not (file-directory-p f)) f))
                 (executable-find name))))
    (or file
        (user-error "heed: cannot find the executable %S; set `heed-executable' \
or HEED_EXECUTABLE, or put heed on PATH" name))))

(defun heed--stderr-tail (&optional proc)
  "Return the last line the daemon PROC wrote to stderr, or nil.
PROC defaults to the current daemon."
  (when-let* ((proc (or proc heed--process))
              (buf (process-get proc 'jsonrpc-stderr)))
    (when (buffer-live-p buf)
      (with-current-buffer buf
        (let ((text (string-trim (buffer-string))))
          (unless (string-empty-p text)
            (car (last (split-string text "\n")))))))))

(defun heed--start ()
  "Start `heed serve', initialise it, and return the connection."
  (let* ((exe (heed--executable))
         (command (append (list exe "serve") heed-serve-arguments))
         proc conn result)
    (condition-case err
        (setq conn
              (heed--process-connection
               :name "heed"
               :events-buffer-scrollback-size heed-events-buffer-size
               :notification-dispatcher #'heed--handle-notification
               :request-dispatcher #'heed--handle-request
               :on-shutdown #'heed--on-shutdown
               :process
               (lambda ()
                 ;; A remote or vanished `default-directory' must not
                 ;; stop a local daemon from starting.
                 (let ((default-directory (expand-file-name "~/")))
                   (setq proc (make-process
                               :name "heed"
                               :command command
                               :connection-type 'pipe
                               :coding 'utf-8-emacs-unix
                               :noquery t
                               :stderr (get-buffer-create "*heed stderr*")))))))
      (error (user-error "heed: cannot start %s: %s" exe (error-message-string err))))
    (setq heed--connection conn
          heed--process proc)
    (condition-case err
        (let ((heed--starting t))
          (setq result
                (jsonrpc-request
                 conn 'initialize
                 (list :processId (emacs-pid)
                       :clientInfo (list :name "heed.el" :version heed-version)
                       :capabilities (list :general (list :positionEncodings ["utf-32"])))
                 :timeout 30)))
      (jsonrpc-error
       (accept-process-output nil 0.1)  ; the last of its stderr
       (let ((tail (heed--stderr-tail proc)))
         (heed--stop)
         (user-error "heed: %s did not initialise: %s%s" exe
                     (or (alist-get 'jsonrpc-error-message (cdr err)) (cadr err))
                     (if tail (format " (it said: %s)" tail) "")))))
    (let ((encoding (plist-get (plist-get result :capabilities) :positionEncoding)))
      (unless (equal encoding "utf-32")
        (heed--stop)
        (user-error "heed: the daemon chose the position encoding %S, not \"utf-32\"" encoding)))
    (jsonrpc-notify conn 'initialized (make-hash-table))
    (add-hook 'kill-emacs-hook #'heed-shutdown)
    conn))

(defun heed--live-connection ()
  "Return a live connection to the daemon, starting it on first use."
  (cond ((and heed--connection heed--process (process-live-p heed--process))
         heed--connection)
        (heed--gave-up
         (user-error "heed: the daemon died twice; M-x heed-restart starts it again"))
        (t (heed--start))))

(defun heed--on-shutdown (conn)
  "Note that CONN's daemon exited; restart it once if that was not asked for."
  (when (eq conn heed--connection)
    (let* ((proc heed--process)
           (status (and proc (process-exit-status proc)))
           (tail (heed--stderr-tail))
           (why (concat (if (and proc (eq (process-status proc) 'signal))
                            (format "killed by signal %s" status)
                          (format "exit status %s" status))
                        (if tail (format "; it said: %s" tail) ""))))
      (setq heed--connection nil
            heed--process nil)
      (clrhash heed--model-info)
      (heed--forget-pending-everywhere)
      (unless (or heed--stopping heed--starting)
        (if heed--restarted
            (progn
              (setq heed--gave-up t)
              (message "heed: the daemon died again (%s); not restarting it \
(M-x heed-restart starts it again)" why))
          (setq heed--restarted t)
          (message "heed: the daemon died (%s); restarting it" why)
          (run-at-time 0 nil #'heed--restart-after-death))))))

(defun heed--restart-after-death ()
  "Start a new daemon after the previous one died."
  (unless heed--connection
    (condition-case err
        (progn (heed--start)
               (message "heed: the daemon was restarted"))
      (error (message "%s" (error-message-string err))))))

(defun heed--stop ()
  "Stop the daemon: `shutdown', then `exit', then kill it if it lingers."
  (let ((conn heed--connection)
        (proc heed--process))
    (setq heed--stopping t)
    (unwind-protect
        (when (and proc (process-live-p proc))
          (ignore-errors (jsonrpc-request conn 'shutdown nil :timeout 2))
          (ignore-errors (jsonrpc-notify conn 'exit nil))
          (with-timeout (2 nil)
            (while (process-live-p proc)
              (accept-process-output proc 0.05)))
          (when (process-live-p proc)
            (delete-process proc)))
      ;; The sentinel may run later; it ignores a connection that is
      ;; no longer `heed--connection'.
      (setq heed--connection nil
            heed--process nil
            heed--stopping nil)
      (clrhash heed--model-info)
      (clrhash heed--model-waiters))))

(defun heed-shutdown ()
  "Stop the heed daemon (`shutdown' and `exit'); it starts again on next use."
  (interactive)
  (condition-case nil
      (heed--stop)
    (error nil)))

(defun heed-restart ()
  "Stop the heed daemon if it runs and start a new one."
  (interactive)
  (heed--stop)
  (setq heed--restarted nil
        heed--gave-up nil)
  (heed--start)
  (message "heed: the daemon was started"))

(defun heed--handle-request (_conn method _params)
  "Answer a request for METHOD from the daemon (it sends none)."
  (jsonrpc-error :code -32601 :message (format "heed.el has no method %s" method)))

(defun heed--handle-notification (_conn method params)
  "Handle the notification METHOD with PARAMS from the daemon."
  (when (eq method '$/progress)
    (condition-case err
        (heed--progress params)
      (error (message "heed: progress: %s" (error-message-string err))))))

(defun heed--progress (params)
  "Show the `$/progress' notification PARAMS."
  (let* ((token (plist-get params :token))
         (value (plist-get params :value))
         (kind (plist-get value :kind))
         (message (plist-get value :message))
         (percentage (plist-get value :percentage))
         (reporter (gethash token heed--progress)))
    (pcase kind
      ("begin"
       (puthash token
                (if percentage
                    (make-progress-reporter
                     (format "heed: %s... " (plist-get value :title)) 0 100)
                  (make-progress-reporter
                   (format "heed: %s... " (plist-get value :title))))
                heed--progress))
      ("report"
       (when reporter
         (progress-reporter-update reporter percentage message)))
      ("end"
       (when reporter
         (progress-reporter-done reporter)
         (remhash token heed--progress))
       (when message
         (message "heed: %s" message))))))

(defun heed--error-text (err)
  "Return a one-line description of the JSON-RPC error plist ERR."
  (let* ((code (plist-get err :code))
         (text (or (plist-get err :message) "unknown error"))
         (data (plist-get err :data))
         (supported (and (listp data) (plist-get data :supported)))
         (catalog (and (listp data) (plist-get data :catalog))))
    (concat text
            (if supported
                (format " (supported: %s)" (mapconcat #'identity supported ", "))
              "")
            (if catalog
                (format " (the catalog: %s)" (mapconcat #'identity catalog ", "))
              "")
            (if (integerp code) (format " [%d]" code) ""))))

(defun heed--jsonrpc-error-text (err)
  "Return a one-line description of the `jsonrpc-error' condition ERR."
  (let ((data (cdr err)))
    (heed--error-text
     (list :code (alist-get 'jsonrpc-error-code data)
           :message (or (alist-get 'jsonrpc-error-message data) (car data))
           :data (alist-get 'jsonrpc-error-data data)))))

;;;; Models

(defun heed--with-model (model callback &optional errback)
  "Call CALLBACK with MODEL's ModelInfo, loading the model first if needed.
ERRBACK, if given, is called with no argument when loading fails."
  (let ((info (gethash model heed--model-info)))
    (if info
        (funcall callback info)
      (let ((waiters (gethash model heed--model-waiters)))
        (puthash model (cons (cons callback errback) waiters) heed--model-waiters)
        (unless waiters
          (let ((conn (heed--live-connection))
                (token (format "heed-load-%d" (cl-incf heed--token-counter))))
            (jsonrpc-async-request
             conn 'heed/loadModel (list :model model :workDoneToken token)
             :timeout nil
             :success-fn
             (lambda (info)
               (puthash model info heed--model-info)
               (heed--run-waiters model info))
             :error-fn
             (lambda (err)
               (unless (eql (plist-get err :code) -1) ; the daemon died
                 (message "heed: cannot load %s: %s" model (heed--error-text err)))
               (heed--run-waiters model nil)))))))))

(defun heed--run-waiters (model info)
  "Call the callbacks waiting for MODEL with INFO, or their errbacks when nil."
  (let ((waiters (reverse (gethash model heed--model-waiters))))
    (remhash model heed--model-waiters)
    (dolist (waiter waiters)
      (condition-case err
          (if info
              (funcall (car waiter) info)
            (when (cdr waiter) (funcall (cdr waiter))))
        (error (message "heed: %s" (error-message-string err)))))))

(defun heed--model-info-now (model)
  "Return MODEL's ModelInfo, loading the model and waiting if needed."
  (or (gethash model heed--model-info)
      (let ((token (format "heed-load-%d" (cl-incf heed--token-counter))))
        (condition-case err
            (puthash model
                     (jsonrpc-request (heed--live-connection) 'heed/loadModel
                                      (list :model model :workDoneToken token)
                                      :timeout 600)
                     heed--model-info)
          (jsonrpc-error
           (user-error "heed: cannot load %s: %s" model (heed--jsonrpc-error-text err)))))))

(defun heed--methods (info)
  "Return the highlight methods that the model of INFO supports, as a list."
  (append (plist-get info :methods) nil))

(defun heed--effective-method (info)
  "Return `heed-method' if the model of INFO supports it, else its first method."
  (let ((methods (heed--methods info)))
    (cond ((member heed-method methods) heed-method)
          (methods
           (message "heed: %s does not support %s; using %s"
                    (plist-get info :id) heed-method (car methods))
           (setq-local heed-method (car methods)))
          (t (user-error "heed: the model %s lists no highlight methods"
                         (plist-get info :id))))))

(defconst heed--weight-methods '("attention" "rollout")
  "Methods that read attention weights; every other one reads norms.")

(defconst heed--rollout-methods '("rollout" "norm-rollout" "alti-rollout" "globenc")
  "Methods that are products over all layers: the layer does not apply.")

(defconst heed--method-descriptions
  '(("norm-summed" . "norm of the summed heads (Attn-N)")
    ("attention" . "attention weights, mean over heads")
    ("attn-res-ln" . "norm with residual and LayerNorm (AttnResLn-N)")
    ("attn-res" . "norm with residual (AttnRes-N)")
    ("norm" . "norm, mean over heads")
    ("rollout" . "attention rollout, all layers")
    ("norm-rollout" . "norm rollout, all layers")
    ("alti" . "ALTI (Ferrando et al. 2022)")
    ("alti-rollout" . "ALTI rolled out over the layers")
    ("globenc" . "GlobEnc (Modarressi et al. 2022), all layers")
    ("value-zeroing" . "value zeroing (Mohebbi et al. 2023), slow: one re-run per token"))
  "What each highlight method shades, in a few words (protocol.md section 7).")

(defconst heed--busy-names
  '(("value-zeroing" . "value zeroing") ("alti" . "ALTI") ("alti-rollout" . "ALTI rollout")
    ("globenc" . "GlobEnc"))
  "How a method is named while it is being computed.")

(defun heed--describe-method (method)
  "Return METHOD's description, or METHOD itself for one heed does not know."
  (or (cdr (assoc method heed--method-descriptions)) method))

(defun heed--other-method (method info)
  "Return the counterpart of METHOD (weight versus norm) in INFO's model.
The follow-ups ALTI and value zeroing are set beside the attention
weights they replace, ALTI rollout and GlobEnc beside the rollout."
  (let* ((methods (heed--methods info))
         (wanted (pcase method
                   ("attention" '("norm-summed" "norm" "attn-res-ln" "attn-res"))
                   ("rollout" '("norm-rollout" "norm-summed"))
                   ("norm-rollout" '("rollout" "attention"))
                   ((or "alti-rollout" "globenc") '("rollout" "attention"))
                   (_ '("attention" "rollout")))))
    (seq-find (lambda (m) (member m methods)) wanted)))

(defun heed--method-kind (method)
  "Return \"weight\", \"norm\" or \"re-run\" (value zeroing): what METHOD reads."
  (cond ((member method heed--weight-methods) "weight")
        ((equal method "value-zeroing") "re-run")
        (t "norm")))

;;;; Translation pairs

;; An encoder-decoder model (ModelInfo `encoderDecoder: true') is shown in
;; translation-pair mode: line 1 the source, line 2 the target.  The code
;; is in heed-pair.el, loaded on first use by such a model.
(autoload 'heed-pair--side-for "heed-pair")
(autoload 'heed-pair--params "heed-pair")
(autoload 'heed-pair--draw "heed-pair")
(autoload 'heed-pair-cycle-method "heed-pair")
(autoload 'heed-pair-target-p "heed-pair")
(autoload 'heed-pair-info "heed-pair")
(autoload 'heed-pair--shade-nothing "heed-pair")
(autoload 'heed-pair-set-layer "heed-pair")
(autoload 'heed-pair--decoder-layer "heed-pair")

(defun heed--pair-info-p (info)
  "Whether INFO is an encoder-decoder model's ModelInfo (translation-pair mode)."
  (eq (plist-get info :encoderDecoder) t))

;;;; Per-buffer state

(defvar-local heed--span nil
  "The analysed span: (BEG . END), two markers, or nil.")

(defvar-local heed--text nil
  "The text of the analysed span when it was analysed.")

(defvar-local heed--result nil
  "The last `heed/highlight' result drawn in this buffer.")

(defvar-local heed--overlays nil
  "The overlays heed drew in this buffer.")

(defvar-local heed--pending nil
  "The request in flight: a plist (:token TOKEN :id ID :conn CONN), or nil.")

(defvar-local heed--after nil
  "Non-nil when point moved while a slow request ran: follow it when that lands.")

(defun heed--basis ()
  "What the daemon caches a highlight's matrix by, beside the text.
Model, method, layer and granularity (protocol.md section 8): a request
with the same basis on the same text is answered from the cache for any
focus."
  (list heed-model heed-method heed-layer heed-granularity))

(defvar-local heed--busy nil
  "What the request in flight computes (\"computing value zeroing\"), once it
has run longer than `heed-busy-delay', else nil.")

(defvar-local heed--timer nil
  "The debounce timer of `heed-mode'.")

(defvar-local heed--last-offset nil
  "The cursor offset in the span of the last request.")

(defvar-local heed--last-point nil
  "Point when the shading last followed it.")

(defvar-local heed--layers nil
  "The number of layers of the model last used here, or nil.")

(defun heed--forget-pending-everywhere ()
  "Forget the requests in flight in every buffer (their daemon is gone)."
  (dolist (buf (buffer-list))
    (when (buffer-local-value 'heed--pending buf)
      (with-current-buffer buf (setq heed--pending nil)))))

(defun heed--span-bounds ()
  "Return the analysed span as (BEG . END) positions, or nil."
  (when heed--span
    (cons (marker-position (car heed--span)) (marker-position (cdr heed--span)))))

(defun heed--offset-at (pos)
  "Return the offset in the span, in characters, of the position POS, clamped."
  (let ((bounds (heed--span-bounds)))
    (- (min (max pos (car bounds)) (cdr bounds)) (car bounds))))

(defun heed--check-text (text)
  "Signal a `user-error' when TEXT holds characters that are not Unicode scalars."
  (when (seq-find (lambda (c) (or (> c #x10FFFF) (<= #xD800 c #xDFFF))) text)
    (user-error "heed: the text holds raw bytes or surrogates, which are not Unicode characters")))

(defun heed--pair-target-here-p (info)
  "Whether this buffer's last request, with INFO's model, was on a pair's line 2."
  (and (heed--pair-info-p info) heed--span (heed-pair-target-p)))

(defun heed--follows-p (bounds)
  "Whether point is where following it shades again: inside BOUNDS, or
anywhere in a translation pair's buffer (whose lines after the second
shade nothing, and say so)."
  (or (<= (car bounds) (point) (cdr bounds))
      (heed--pair-info-p (gethash heed-model heed--model-info))))

;;;; Drawing

(defun heed--delete-overlays ()
  "Delete the overlays heed drew in this buffer."
  (mapc #'delete-overlay heed--overlays)
  (setq heed--overlays nil)
  ;; Overlays copied by `clone-buffer' or left by an older heed.el.
  (save-restriction
    (widen)
    (remove-overlays (point-min) (point-max) 'heed 'range)
    (remove-overlays (point-min) (point-max) 'heed 'focus)
    (remove-overlays (point-min) (point-max) 'heed 'aligned)))

(defun heed--make-overlay (beg end face kind &optional priority)
  "Make an overlay from BEG to END with FACE, tagged `heed' KIND, and return it.
PRIORITY is the overlay's priority (default 5)."
  (let ((ov (make-overlay beg end nil t nil)))
    (overlay-put ov 'heed kind)
    (overlay-put ov 'face face)
    (overlay-put ov 'priority (or priority 5))
    (overlay-put ov 'evaporate t)
    (push ov heed--overlays)
    ov))

(defun heed--shaded-p (range)
  "Whether RANGE of a `heed/highlight' result is shaded.
Every unit is, except those of value 0, where nothing flows: with a
causal model (a decoder), the tokens after a \"from\" focus and those
before a \"to\" focus."
  (let ((value (plist-get range :value)))
    (not (and (numberp value) (= value 0)))))

(defun heed--draw (result)
  "Shade the span by the `heed/highlight' RESULT.
Units may overlap (a byte-level BPE token holding part of a character
shares it with the next one): an overlay's priority grows with its
bucket, so the strongest unit shows; the focus is above them all."
  (let* ((beg (car (heed--span-bounds)))
         (old-window (plist-get heed--result :window))
         (window (plist-get result :window))
         (focus (plist-get result :focus)))
    (heed--delete-overlays)
    (setq heed--result result)
    (seq-doseq (range (plist-get result :ranges))
      (when (heed--shaded-p range)
        (let* ((score (plist-get range :score))
               (bucket (heed-bucket score))
               (ov (heed--make-overlay (+ beg (plist-get range :start))
                                       (+ beg (plist-get range :end))
                                       (aref heed--bucket-faces bucket)
                                       'range (+ 5 bucket))))
          (overlay-put ov 'heed-bucket bucket)
          (overlay-put ov 'heed-score score)
          (overlay-put ov 'heed-value (plist-get range :value)))))
    (when focus
      (heed--make-overlay (+ beg (plist-get focus :start)) (+ beg (plist-get focus :end))
                          'heed-focus 'focus 20))
    (when (and window (not (equal window old-window)))
      (let ((info (gethash heed-model heed--model-info)))
        ;; A decoder's window ends at the focus (its row sees only earlier tokens).
        (message "heed: the text is beyond the %s-token limit of %s; shading the \
window %s the focus (characters %d to %d of the span)"
                 (or (plist-get info :maxTokens) "") heed-model
                 (if (eq (plist-get info :causal) t) "ending at" "around")
                 (plist-get window :start) (plist-get window :end))))
    (force-mode-line-update)))

;;;; Requests

(defun heed--cancel-pending ()
  "Cancel the request in flight in this buffer, if any."
  (when-let ((pending heed--pending))
    (setq heed--pending nil)
    (let ((id (plist-get pending :id))
          (conn (plist-get pending :conn)))
      (when (and id conn (eq conn heed--connection)
                 heed--process (process-live-p heed--process))
        (jsonrpc-notify conn '$/cancelRequest (list :id id))))))

(defun heed--layer-param ()
  "Return the `layer' parameter for `heed-layer'."
  (if (integerp heed-layer) heed-layer "last"))

(defun heed--request (offset)
  "Ask the daemon to shade the span with the cursor at OFFSET characters into it.
A request still in flight in this buffer is cancelled."
  (heed--cancel-pending)
  (setq heed--busy nil                  ; the new request says so itself when slow
        heed--after nil)
  (let* ((buffer (current-buffer))
         (token (list 'heed-request))
         (model heed-model))
    (setq heed--pending (list :token token)
          heed--last-offset offset)
    (condition-case err
        (heed--with-model
         model
         (lambda (info)
           (when (buffer-live-p buffer)
             (with-current-buffer buffer
               (when (eq token (plist-get heed--pending :token))
                 (setq heed--layers (plist-get info :layers))
                 (heed--send-highlight buffer token info offset)))))
         (lambda ()
           (when (buffer-live-p buffer)
             (with-current-buffer buffer
               (when (eq token (plist-get heed--pending :token))
                 (setq heed--pending nil))))))
      (error (setq heed--pending nil)
             (signal (car err) (cdr err))))))

(defun heed--send-highlight (buffer token info offset)
  "Send `heed/highlight' for BUFFER's span, TOKEN naming it, with INFO's model.
OFFSET is the cursor offset in the span."
  (let* ((conn (heed--live-connection))
         ;; Translation pair: `source' or `target', where point is (heed-pair.el).
         (side (and (heed--pair-info-p info) (heed-pair--side-for info)))
         (params (if side
                     (heed-pair--params info side)
                   (list :model heed-model
                         :text heed--text
                         :focus (list :start offset :end offset)
                         :method (heed--effective-method info)
                         :layer (heed--layer-param)
                         :direction heed-direction
                         :granularity heed-granularity)))
         (method (plist-get params :method)))
    (if (not params)
        ;; A translation pair's line 3 or empty line 2: nothing to shade there.
        (progn (setq heed--pending nil)
               (heed-pair--shade-nothing side))
      (heed--send-request buffer token conn params method side))))

(defun heed--send-request (buffer token conn params method side)
  "Send `heed/highlight' with PARAMS on CONN for BUFFER's span, TOKEN naming it.
METHOD is PARAMS' method; SIDE is a translation pair's focus line, or nil."
  (jsonrpc-async-request
   conn 'heed/highlight params
   :timeout heed-request-timeout
   :success-fn
   (lambda (result)
     (when (buffer-live-p buffer)
       (with-current-buffer buffer
         (when (eq token (plist-get heed--pending :token))
           (setq heed--pending nil)
           (heed--end-busy "done")
           (condition-case err
               (if side (heed-pair--draw result side) (heed--draw result))
             (error (message "heed: %s" (error-message-string err))))
           (when heed--after          ; point moved meanwhile: its focus now (cached)
             (setq heed--after nil)
             (heed--follow buffer))))))
   :error-fn
   (lambda (err)
     (when (buffer-live-p buffer)
       (with-current-buffer buffer
         (when (eq token (plist-get heed--pending :token))
           (setq heed--pending nil)
           (heed--end-busy nil)
           ;; -32800: cancelled by a newer request; -1: the daemon
           ;; died (its own message says so).
           (unless (memql (plist-get err :code) '(-32800 -1))
             (message "heed: %s" (heed--error-text err)))))))
   :timeout-fn
   (lambda ()
     (when (buffer-live-p buffer)
       (with-current-buffer buffer
         (when (eq token (plist-get heed--pending :token))
           (setq heed--pending nil)
           (heed--end-busy nil)
           (message "heed: no answer after %s seconds" heed-request-timeout))))))
  (when (eq token (plist-get heed--pending :token))
    (setq heed--pending (list :token token :id (heed--last-request-id conn) :conn conn
                              :basis (heed--basis)))
    ;; Value zeroing can take seconds: say so when the answer is late.
    ;; `heed/highlight' takes no workDoneToken (protocol.md section 6),
    ;; so there is no percentage to show.
    (when heed-busy-delay
      (run-at-time heed-busy-delay nil #'heed--start-busy buffer token method))))

(defun heed--start-busy (buffer token method)
  "Say that METHOD is being computed, if TOKEN is still BUFFER's request."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (when (and (eq token (plist-get heed--pending :token)) (not heed--busy))
        (setq heed--busy (concat "computing "
                                 (or (cdr (assoc method heed--busy-names)) method)))
        (message "heed: %s..." heed--busy)
        (force-mode-line-update)))))

(defun heed--end-busy (outcome)
  "Forget the busy state; with OUTCOME (\"done\"), say that it ended."
  (when heed--busy
    (when outcome
      (message "heed: %s %s" (string-remove-prefix "computing " heed--busy) outcome))
    (setq heed--busy nil)
    (force-mode-line-update)))

(defun heed--refresh ()
  "Shade the span again with the current settings, at point if it is in the span."
  (when heed--span
    (let ((bounds (heed--span-bounds)))
      (heed--request (if (<= (car bounds) (point) (cdr bounds))
                         (heed--offset-at (point))
                       (or heed--last-offset 0))))))

;;;; Clearing on edits

(defun heed--after-change (beg end _length)
  "Clear the shading when a change from BEG to END altered the analysed text."
  (when-let ((bounds (heed--span-bounds)))
    (when (and (<= beg (cdr bounds)) (>= end (car bounds))
               (not (string= (save-restriction
                               (widen)
                               (buffer-substring-no-properties (car bounds) (cdr bounds)))
                             heed--text)))
      (heed--clear))))

(defun heed--clear ()
  "Forget the analysis in this buffer and delete its overlays."
  (heed--cancel-pending)
  (setq heed--busy nil)
  (when (timerp heed--timer)
    (cancel-timer heed--timer))
  (setq heed--timer nil)
  (heed--delete-overlays)
  (when heed--span
    (set-marker (car heed--span) nil)
    (set-marker (cdr heed--span) nil))
  (setq heed--span nil
        heed--text nil
        heed--result nil
        heed--last-offset nil
        heed--last-point nil)
  (remove-hook 'after-change-functions #'heed--after-change t)
  (force-mode-line-update))

;;;; Mode line

(defun heed--mode-line-string ()
  "Return the mode-line text: model, method, layer and direction."
  (if (or heed--span (bound-and-true-p heed-mode))
      (let* ((info (gethash heed-model heed--model-info))
             (method (cond ((and (heed--pair-info-p info) heed--result (heed-pair-target-p))
                            (format "cross %s" (plist-get heed--result :method)))
                           ((and info (not (member heed-method (heed--methods info))))
                            (car (heed--methods info)))
                           (t heed-method)))
             (layers (or (plist-get info :layers) heed--layers))
             (layer (cond ((heed--pair-target-here-p info)
                           (format "L%s" (heed-pair--decoder-layer info)))
                          ((member method heed--rollout-methods) "all")
                          ((integerp heed-layer) (format "L%d" heed-layer))
                          (layers (format "L%d" (1- layers)))
                          (t "Llast"))))
        (format " heed[%s %s %s %s%s%s]" heed-model method layer heed-direction
                (if (plist-get heed--result :window) " window" "")
                (if heed--busy (format " %s..." heed--busy) "")))
    ""))

(defvar heed--mode-line '(:eval (heed--mode-line-string))
  "The mode-line construct that shows heed's settings.")
(put 'heed--mode-line 'risky-local-variable t)

(defun heed--ensure-mode-line ()
  "Put heed's settings into `mode-line-misc-info'."
  ;; Not the bare symbol: a list whose car is a symbol is a conditional.
  (let ((entry '("" heed--mode-line)))
    (unless (member entry (default-value 'mode-line-misc-info))
      (setq-default mode-line-misc-info
                    (cons entry (default-value 'mode-line-misc-info))))))

;;;; Commands

(defun heed--analyze-bounds ()
  "Return (BEG END): the active region, else the current paragraph without blanks."
  (if (use-region-p)
      (list (region-beginning) (region-end))
    (save-excursion
      (let* ((end (progn (forward-paragraph) (point)))
             (beg (progn (backward-paragraph) (point))))
        (goto-char beg)
        (skip-chars-forward " \t\n\r\f")
        (setq beg (point))
        (goto-char end)
        (skip-chars-backward " \t\n\r\f" beg)
        (list beg (point))))))

;;;###autoload
(defun heed-analyze (beg end)
  "Shade what the token at point attends to, in the text from BEG to END.
Interactively, BEG and END are the region when it is active, else
the current paragraph.  The cursor is point: with a region
selected forward, that is its end.  Every other token of the span
is shaded by its score (faces `heed-0' to `heed-7'), and the focus
gets `heed-focus'.  Works without `heed-mode', which makes the
shading follow point."
  (interactive (heed--analyze-bounds))
  (let ((beg (min beg end))
        (end (max beg end)))
    (when (string-blank-p (buffer-substring-no-properties beg end))
      (user-error "heed: nothing to analyse here"))
    (let ((text (buffer-substring-no-properties beg end)))
      (heed--check-text text)
      (heed--clear)
      (setq heed--span (cons (copy-marker beg t) (copy-marker end nil))
            heed--text text
            heed--last-point (point))
      (add-hook 'after-change-functions #'heed--after-change nil t)
      (heed--ensure-mode-line)
      (when (region-active-p)
        (deactivate-mark))
      (heed--request (heed--offset-at (point))))))

(defun heed--require-model-info ()
  "Return the ModelInfo of `heed-model', loading the model if needed."
  (heed--model-info-now heed-model))

;;;###autoload
(defun heed-cycle-method ()
  "Switch to the next highlight method the model supports, and shade again.
The order is the daemon's: norm-summed, attention, attn-res-ln,
attn-res, norm, rollout, norm-rollout, alti, alti-rollout, globenc,
value-zeroing (those the model supports: a pre-norm decoder has no
attn-res-ln and no globenc).  The echo area names the method and what
it shades.  Value zeroing takes seconds on a long text: see
`heed-busy-delay'."
  (interactive)
  (let* ((info (heed--require-model-info))
         (methods (heed--methods info))
         (next (or (cadr (member heed-method methods)) (car methods))))
    (cond
     ;; Point on the target line of a translation pair: the cross methods.
     ((heed--pair-target-here-p info)
      (heed-pair-cycle-method info))
     ((not methods)
      (user-error "heed: the model %s lists no highlight methods" heed-model))
     (t
      (setq-local heed-method next)
      (heed--refresh)
      (force-mode-line-update)
      (message "heed: method %s: %s" next (heed--describe-method next))))))

(defun heed--read-layer ()
  "Read a layer for `heed-set-layer'."
  (if current-prefix-arg
      (prefix-numeric-value current-prefix-arg)
    (let* ((info (heed--require-model-info))
           ;; A translation pair's line 2: the decoder's layers.
           (layers (plist-get info (if (heed--pair-target-here-p info) :decoderLayers :layers)))
           (choices (append '("next" "prev" "last")
                            (mapcar #'number-to-string (number-sequence 0 (1- layers)))))
           (answer (completing-read (format "heed layer (0-%d, next, prev, last): " (1- layers))
                                    choices nil t)))
      (if (string-match-p "\\`[0-9]+\\'" answer)
          (string-to-number answer)
        (intern answer)))))

;;;###autoload
(defun heed-set-layer (layer)
  "Show the scores of LAYER and shade again.
LAYER is a 0-based index, `next', `prev' or `last'; with a numeric
prefix argument it is that number.  Rollouts span all layers and
ignore it.  With point on line 2 of a translation pair, LAYER is one
of the decoder's layers (ModelInfo `decoderLayers')."
  (interactive (list (heed--read-layer)))
  (if (heed--pair-target-here-p (heed--require-model-info))
      (heed-pair-set-layer (heed--require-model-info) layer)
    (heed--set-encoder-layer layer)))

(defun heed--set-encoder-layer (layer)
  "Set `heed-layer' to LAYER (see `heed-set-layer') and shade again."
  (let* ((info (heed--require-model-info))
         (layers (plist-get info :layers))
         (current (if (integerp heed-layer) heed-layer (1- layers)))
         (new (pcase layer
                ((pred integerp) layer)
                ((or 'next "next") (mod (1+ current) layers))
                ((or 'prev 'previous "prev" "previous") (mod (1- current) layers))
                ((or 'last "last") 'last)
                (_ (user-error "heed: a layer is a number, next, prev or last, not %S" layer)))))
    (when (and (integerp new) (not (< -1 new layers)))
      (user-error "heed: %s has layers 0 to %d" heed-model (1- layers)))
    (setq heed--layers layers)
    (setq-local heed-layer new)
    (heed--refresh)
    (force-mode-line-update)
    (message "heed: layer %s%s" (if (integerp new) new (format "last (%d)" (1- layers)))
             (if (member heed-method heed--rollout-methods)
                 (format " (%s spans all layers)" heed-method)
               ""))))

(defun heed-next-layer ()
  "Show the next layer's scores (after the last, the first)."
  (interactive)
  (heed-set-layer 'next))

(defun heed-previous-layer ()
  "Show the previous layer's scores (before the first, the last)."
  (interactive)
  (heed-set-layer 'prev))

;;;###autoload
(defun heed-cycle-direction ()
  "Switch the direction: from, to, received, and around; shade again."
  (interactive)
  (let ((next (pcase heed-direction
                ("from" "to")
                ("to" "received")
                (_ "from"))))
    (setq-local heed-direction next)
    (heed--refresh)
    (force-mode-line-update)
    (message "heed: direction %s" next)))

;;;###autoload
(defun heed-select-model (model)
  "Use MODEL in this buffer and shade again.
Interactively, pick from the models the daemon lists, or type a
directory or a Hugging Face repo id."
  (interactive
   (let* ((answer (condition-case err
                      (jsonrpc-request (heed--live-connection) 'heed/models nil :timeout 30)
                    (jsonrpc-error
                     (user-error "heed: %s" (heed--jsonrpc-error-text err)))))
          (ids (mapcar (lambda (m) (plist-get m :id)) (plist-get answer :models))))
     (list (completing-read "heed model: " ids nil nil nil nil heed-model))))
  (setq-local heed-model model)
  (heed--refresh)
  (force-mode-line-update))

;;;###autoload
(defun heed-clear ()
  "Remove heed's shading from this buffer and forget the analysed span."
  (interactive)
  (heed--clear))

(defun heed--unit-text (start end)
  "Return the span's text from offset START to END, on one line.
A line feed shows as \"↵\" (a decoder's line-feed token is a unit of
its own), a tab as a space."
  (replace-regexp-in-string
   "\t" " " (replace-regexp-in-string "\n" "↵" (substring heed--text start end))))

(defun heed--top (ranges n)
  "Return a string of the N highest of RANGES: unit text and score.
Only shaded units count (see `heed--shaded-p')."
  (let ((top (seq-take (seq-sort-by (lambda (r) (plist-get r :value)) #'>
                                    (seq-filter #'heed--shaded-p ranges))
                       n)))
    (mapconcat (lambda (r)
                 (format "%s %.2f" (heed--unit-text (plist-get r :start) (plist-get r :end))
                         (plist-get r :score)))
               top "  ")))

;;;###autoload
(defun heed-info ()
  "Show the token at point in the echo area: its raw value, score and bucket.
With them, the focus's top 5 by the current method and by its
counterpart (attention weight versus norm), side by side, and for a
model whose ModelInfo has `predicts' (a decoder) the 5 most probable
next tokens after the focus.  In a translation pair with point on the
target line: the source unit the focus is aligned to, and the top 5
source units."
  (interactive)
  (unless heed--result
    (user-error "heed: no shading here; M-x heed-analyze first"))
  (if (and (heed--pair-info-p (heed--require-model-info)) (heed-pair-target-p))
      (heed-pair-info)
    (heed--info-of-result)))

(defun heed--info-of-result ()
  "Show `heed-info' for the last result (not a translation pair's target)."
  (let* ((result heed--result)
         (info (heed--require-model-info))
         (method (plist-get result :method))
         (layer (plist-get result :layer))
         (focus (plist-get result :focus))
         (other (heed--other-method method info))
         (ov (seq-find (lambda (o) (overlay-get o 'heed)) (overlays-at (point) t)))
         (beg (car (heed--span-bounds)))
         (where (if layer (format "layer %d" layer) "all layers"))
         (focus-text (heed--unit-text (plist-get focus :start) (plist-get focus :end)))
         (head
          (if (and ov (eq (overlay-get ov 'heed) 'range))
              (format "%S  value %.4g  score %.3f  bucket %d  (%s %s, %s %S)"
                      (heed--unit-text (- (overlay-start ov) beg) (- (overlay-end ov) beg))
                      (overlay-get ov 'heed-value) (overlay-get ov 'heed-score)
                      (overlay-get ov 'heed-bucket) method where heed-direction focus-text)
            (format "%S is the focus  (%s %s, %s)" focus-text method where heed-direction)))
         (predicts (eq (plist-get info :predicts) t))
         (answer
          (when other
            (condition-case err
                (jsonrpc-request
                 (heed--live-connection) 'heed/highlight
                 (append (list :model heed-model :text heed--text
                               :focus focus :method other
                               :layer (or layer (heed--layer-param))
                               :direction heed-direction
                               :granularity heed-granularity :topK 5)
                         ;; A decoder: the next tokens after the focus too.
                         (when predicts (list :predict 5)))
                 :timeout 30)
              (jsonrpc-error (format "%s: %s" other (heed--jsonrpc-error-text err))))))
         (other-line
          (cond ((stringp answer) answer)
                (answer (format "%s (%s):  %s" other (heed--method-kind other)
                                (heed--top (plist-get answer :ranges) 5)))))
         (predictions (and (consp answer) (append (plist-get answer :predictions) nil)))
         (next-line
          (when predictions
            (concat "next:  "
                    (mapconcat (lambda (p)
                                 (format "%S %.1f%%"
                                         (replace-regexp-in-string "\n" "↵" (plist-get p :text))
                                         (* 100 (plist-get p :probability))))
                               predictions "  ")))))
    (message "%s%s\n%s (%s):  %s%s" head
             (if next-line (concat "\n" next-line) "")
             method (heed--method-kind method)
             (heed--top (plist-get result :ranges) 5)
             (if other-line (concat "\n" other-line) ""))))

;;;; The minor mode

(defvar heed-command-map
  (let ((map (make-sparse-keymap)))
    (define-key map "a" #'heed-analyze)
    (define-key map "m" #'heed-cycle-method)
    (define-key map "l" #'heed-set-layer)
    (define-key map "n" #'heed-next-layer)
    (define-key map "p" #'heed-previous-layer)
    (define-key map "d" #'heed-cycle-direction)
    (define-key map "c" #'heed-clear)
    (define-key map "i" #'heed-info)
    (define-key map "M" #'heed-select-model)
    map)
  "Heed's commands, under \\<heed-mode-map>\\[heed-command-map] in `heed-mode'.")
(fset 'heed-command-map heed-command-map)

(defvar heed-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c ~") 'heed-command-map)
    map)
  "Keymap of `heed-mode'.")

(defun heed--post-command ()
  "Follow point: after a short pause, shade from the token at point."
  (when (and heed--span (not (eql (point) heed--last-point)))
    (setq heed--last-point (point))
    (let ((bounds (heed--span-bounds)))
      (when (heed--follows-p bounds)
        (when (timerp heed--timer)
          (cancel-timer heed--timer))
        (setq heed--timer
              (run-with-timer heed-debounce nil #'heed--follow (current-buffer)))))))

(defun heed--follow (buffer)
  "Shade BUFFER's span from the token at its point (the debounce timer's end)."
  (when (buffer-live-p buffer)
    (with-current-buffer buffer
      (setq heed--timer nil)
      (when-let ((bounds (heed--span-bounds)))
        (when (heed--follows-p bounds)
          ;; A slow request (value zeroing) computing what this one needs is
          ;; not cancelled, which would start it again: when it lands, point
          ;; is followed and answered from the daemon's cache.
          (if (and heed--busy heed--pending
                   (equal (plist-get heed--pending :basis) (heed--basis)))
              (setq heed--after t)
            (condition-case err
                (heed--request (heed--offset-at (point)))
              (error (message "%s" (error-message-string err))))))))))

;;;###autoload
(define-minor-mode heed-mode
  "Shade what the token at point attends to, following point.
After \\[heed-analyze], moving point inside the analysed span
shades the span again from the token at point (after
`heed-debounce' seconds of stillness; a newer request cancels the
older one).

\\{heed-mode-map}"
  :lighter " Heed"
  :keymap heed-mode-map
  (if heed-mode
      (progn
        (add-hook 'post-command-hook #'heed--post-command nil t)
        (heed--ensure-mode-line))
    (remove-hook 'post-command-hook #'heed--post-command t)
    (when (timerp heed--timer)
      (cancel-timer heed--timer)
      (setq heed--timer nil)))
  (force-mode-line-update))

(provide 'heed)

;;; heed.el ends here
