# vbuild in a container: build with cargo, run on a slim Debian with the GStreamer runtime and espeak-ng.
#   docker build -t vbuild .
#   docker run --rm -v "$PWD/examples/intro-ml:/course" vbuild
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/vbuild /usr/local/bin/vbuild

FROM debian:bookworm-slim
# base: decodebin, audioconvert; good: pngdec, imagefreeze, qtdemux, mp4mux, wavparse; bad: voaacenc;
# ugly: x264enc.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates espeak-ng \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 vbuild
COPY --from=build /usr/local/bin/vbuild /usr/local/bin/vbuild
USER vbuild
WORKDIR /course
ENTRYPOINT ["vbuild"]
