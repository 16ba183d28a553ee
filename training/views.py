from core.training import BAND, is_training


def band_context(request) -> dict:
    """Context processor: the training band for base.html."""
    return {"training_band": BAND if is_training() else ""}
