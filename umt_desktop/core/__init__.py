"""The Qt-free core of umt-desktop: everything the CLI and the window do, as a library.

Where each thing lives (the front ends in ``umt_desktop.cli`` and ``umt_desktop.gui`` only call these):

``model/``       the UMT network and its weights
    ``network``     ViT-B/L video transformer (SDPA attention, naive reference path), ``UMTConfig``
    ``checkpoint``  MMAction2 / OpenGVLab files -> state dict + preprocessing, strict and safe loading
    ``zoo``         the known checkpoints (``resources/zoo.json``) and the local ``ModelStore``
    ``download``    resumable, checksummed downloads
    ``labels``      Kinetics-400/600/700/710 class names
``video/``       video input
    ``readers``     decord and OpenCV readers, ``open_video``, video file extensions
    ``transforms``  MMAction2's sampler, resize, crops, normalisation
    ``protocols``   the test protocols (4 clips x 3 crops, 1x1) turning a video into a batch of views
    ``decoding``    decode worker processes (no torch): views into shared memory, in job order
``streaming/``   live inference
    ``sources``     files, cameras and network streams as frame sources (seek, pause, pacing)
    ``engine``      ``SlidingWindowEngine``: 8-frame windows, smoothing, "newest window wins"
    ``explainer``   ``WindowExplainer``: saliency maps of the newest window in a thread of their own
    ``timeline``    action segments of a stream, CSV/JSON and annotated video output
``evaluation/``  accuracy on a Kinetics copy
    ``dataset``     class folders, MMAction2 lists, Kinetics CSVs
    ``pipeline``    the label-free part: decode worker processes, batches of views from several videos
    ``run``         ``EvalRun``: the pipeline with labels, metrics, resume
    ``history``     the SQLite history of runs and predictions; damaged files, ``move_aside``
    ``export``      a stored run to CSV/JSON with class names (CLI and window)
    ``distributed`` torchrun: ranks, process groups, gathering
    ``launch``      ``torchrun_command``: the command line of a data-parallel run, run id chosen by the launcher
``batch``        classifying many videos: folders and lists through the pipeline, resumable .jsonl/.csv rows
``explain``      saliency maps: where in a view's 8 frames the model looked (Grad-CAM on tokens)
``bench``        ``umt-desktop bench``: model, classify and evaluation throughput
``session``      what the window has open: playlist (with failed items), windows received, the
                 whole-video result, export to JSON/CSV; ``Latest`` ("newest run wins")

On top: ``classifier`` (``load_classifier``, ``Classifier``), ``device`` (CPU/CUDA and
precision), ``errors`` (one exception type per domain, each a one-line message), ``paths`` (data,
models and config folders), ``settings`` (the window's settings file), ``resources`` (packaged data),
``options`` (torch-free, shared by the CLI, settings and window: the sliding-window defaults and
bounds, ``Smoothing``, ``TopK``, protocol and reader names, ``is_live_source``), ``jsonio``
(strict JSON out: never a bare NaN or Infinity).
"""
