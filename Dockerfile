# vidscribe: `docker run -v $PWD/data:/data vidscribe process URL`
# The image has the package with its declared dependencies (`pip install .`: every stage, OCR with
# the bundled PP-OCRv4 models). It has no Redis (run one beside it for enqueue/worker and point
# VIDSCRIBE_REDIS_URL at it) and not the `paddle` extra (VIDSCRIBE_OCR_ENGINE=paddleocr). Speech
# models download into /data/.cache on first use.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY vidscribe ./vidscribe
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 vidscribe \
    && mkdir /data && chown vidscribe:vidscribe /data

USER vidscribe
ENV VIDSCRIBE_DATA=/data \
    HF_HOME=/data/.cache/huggingface
VOLUME ["/data"]
ENTRYPOINT ["vidscribe"]
CMD ["--help"]
