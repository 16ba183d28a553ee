"""Every export of a training mechanism says it is training: a header on
every answer, the band as the first line of a CSV, and the band in the name
of every downloaded file."""

from __future__ import annotations

from core.training import BAND, is_training

HEADER = "X-NRM-Training"


class TrainingExportMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_training():
            return response
        response[HEADER] = BAND
        disposition = response.get("Content-Disposition", "")
        if 'filename="' in disposition:
            response["Content-Disposition"] = disposition.replace(
                'filename="', 'filename="TRAINING-NOT-REAL-PEOPLE-', 1
            )
        if response.get("Content-Type", "").startswith("text/csv"):
            line = ("# " + BAND + "\n").encode()
            if response.streaming:
                response.streaming_content = _prefixed(line, response.streaming_content)
            else:
                response.content = line + response.content
        return response


def _prefixed(first: bytes, chunks):
    yield first
    for chunk in chunks:
        yield chunk if isinstance(chunk, bytes) else chunk.encode()
