# vidscribe: `docker run -v $PWD/data:/data vidscribe process URL`
#            `docker run -p 127.0.0.1:8000:8000 -v $PWD/data:/data vidscribe serve --host 0.0.0.0`
# The image has the package with its declared dependencies (`pip install .`: every stage, OCR with
# the bundled PP-OCRv4 models, Tesseract's Russian/English data for Cyrillic subtitle lines, the
# viewer). It has no Redis (run one beside it for enqueue/worker and point VIDSCRIBE_REDIS_URL at
# it), not the `paddle` extra (VIDSCRIBE_OCR_ENGINE=paddleocr) and no browser. Speech models
# download into /data/.cache on first use. Inside the container `serve` must listen on 0.0.0.0 to
# be reachable; publish the port on the host's loopback as above unless you mean to expose it.
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg fonts-noto-cjk espeak-ng \
        tesseract-ocr-rus tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY vidscribe ./vidscribe
# pdqhash (PDQ hashes, the fingerprint stage) is built from source: a compiler only for the install.
RUN apt-get update && apt-get install -y --no-install-recommends g++ \
    && pip install --no-cache-dir . \
    && apt-get purge -y --auto-remove g++ && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 vidscribe \
    && mkdir /data && chown vidscribe:vidscribe /data

USER vidscribe
ENV VIDSCRIBE_DATA=/data \
    HF_HOME=/data/.cache/huggingface
VOLUME ["/data"]
ENTRYPOINT ["vidscribe"]
CMD ["--help"]
