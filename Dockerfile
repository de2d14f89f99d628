# vidscribe: `docker run -v $PWD/data:/data vidscribe process URL`
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
