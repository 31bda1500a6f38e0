"""vbuild's piper worker: loads one piper voice, then speaks each request it reads on stdin.

Started by vbuild as `python -u worker.py MODEL CONFIG` with the Python of a virtual environment that has
piper-tts (GPL; it runs in this separate process and is never linked into vbuild). Protocol, one request at
a time: a JSON line {"text", "speaker", "length_scale", "noise_scale", "noise_w_scale"} in; a JSON line
{"bytes": N} and N bytes of 16-bit mono PCM at the voice's rate out. The first line out is
{"rate": R, "version": V} once the voice is loaded. The worker ends when stdin closes. When anything fails,
the last line out is {"error": "Kind: what"} and the worker exits 1, with no traceback.
"""

import json
import sys

from importlib.metadata import version

from piper import PiperVoice, SynthesisConfig


def main() -> None:
    out = sys.stdout.buffer
    try:
        speak(out)
    except Exception as error:  # said to vbuild as one line, which it shows with the voice's name
        out.write((json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n").encode())
        out.flush()
        sys.exit(1)


def speak(out) -> None:
    model, config = sys.argv[1], sys.argv[2] or None
    voice = PiperVoice.load(model, config_path=config)
    hello = {"rate": voice.config.sample_rate, "version": version("piper-tts")}
    out.write((json.dumps(hello) + "\n").encode())
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        settings = SynthesisConfig(
            speaker_id=request.get("speaker"),
            length_scale=request.get("length_scale"),
            noise_scale=request.get("noise_scale"),
            noise_w_scale=request.get("noise_w_scale"),
            volume=request.get("volume", 1.0),
        )
        pcm = b"".join(
            chunk.audio_int16_bytes for chunk in voice.synthesize(request["text"], syn_config=settings)
        )
        out.write((json.dumps({"bytes": len(pcm)}) + "\n").encode())
        out.write(pcm)
        out.flush()


if __name__ == "__main__":
    main()
