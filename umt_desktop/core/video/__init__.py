"""Video input: readers (decord, OpenCV), the MMAction2 transforms and the test protocols (4x3, 1x1)."""
