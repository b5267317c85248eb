"""umt-desktop: video action recognition with UMT Kinetics models.

    >>> from umt_desktop import load_classifier
    >>> clf = load_classifier("umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb")
    >>> clf.classify("video.mp4", views="4x3", topk=5).top
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load_classifier"]


def __getattr__(name: str):
    # torch is heavy: import it on first use, so `umt-desktop --version` stays instant.
    if name == "load_classifier":
        from .core.classifier import load_classifier

        return load_classifier
    raise AttributeError(name)
