"""Peak memory of opening one image of each mode at the pixel limit and converting it to 8-bit RGB (`load_rgb`).

    python bench/convert_memory.py [--side 6300]

Each image is made here (a flat picture, so its file is small, as a hostile one would be) and opened in a process of
its own. Each figure is the growth of that process's peak resident memory (`ru_maxrss`) over its peak after the imports:
first decoding alone (`open_image`), then decoding and converting (`load_rgb`), each in a fresh process. The decoded
image itself is part of both figures (e.g. 4 bytes a pixel for RGBA, I and F); the difference is what conversion costs.
"""
import argparse, subprocess, sys, tempfile
from pathlib import Path

MODES = {  # mode: (file suffix, how to make it)
    'RGB': ('.png', lambda s: __import__('PIL.Image').Image.new('RGB', (s, s), (10, 120, 200))),
    'L': ('.png', lambda s: __import__('PIL.Image').Image.new('L', (s, s), 90)),
    'I;16': ('.png', lambda s: __import__('PIL.Image').Image.new('I;16', (s, s), 40000)),
    'I': ('.tif', lambda s: __import__('PIL.Image').Image.new('I', (s, s), 70000)),
    'F': ('.tif', lambda s: __import__('PIL.Image').Image.new('F', (s, s), 0.5)),
    'RGBA': ('.png', lambda s: __import__('PIL.Image').Image.new('RGBA', (s, s), (10, 120, 200, 128))),
    'LA': ('.png', lambda s: __import__('PIL.Image').Image.new('LA', (s, s), (90, 128))),
    'P+transparency': ('.png', lambda s: _palette(s)),
    'CMYK': ('.tif', lambda s: __import__('PIL.Image').Image.new('CMYK', (s, s), (10, 20, 30, 0))),
}


def _palette(s):
    from PIL import Image
    im = Image.new('P', (s, s), 1); im.putpalette([0, 0, 0, 200, 30, 30] + [0]*762); im.info['transparency'] = 0
    return im


CHILD = """
import resource, sys
from catdetect.images import open_image, load_rgb
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
im = (open_image if sys.argv[2] == 'decode' else load_rgb)(sys.argv[1])
assert sys.argv[2] == 'decode' or (im.mode == 'RGB'), im.mode
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def peak_mb(path, what):
    r = subprocess.run([sys.executable, '-c', CHILD, str(path), what], capture_output=True, text=True)
    if r.returncode: return f"failed: {r.stderr.strip().splitlines()[-1][:80]}"
    return f"{float(r.stdout):,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--side', type=int, default=6300, help='width and height of each image (6300: 39.7 MP, under the 40 MP limit)')
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp())
    print(f"{args.side}x{args.side} = {args.side**2/1e6:.1f} MP per image; peak RSS growth in MB")
    print(f"{'mode':16} {'file kB':>8} {'decode':>8} {'decode+convert':>15} {'convert':>8}")
    for mode, (suffix, make) in MODES.items():
        f = d/f"{mode.replace(';', '').replace('+', '_')}{suffix}"
        make(args.side).save(f)
        dec, full = peak_mb(f, 'decode'), peak_mb(f, 'convert')
        extra = f"{float(full.replace(',', '')) - float(dec.replace(',', '')):,.0f}" if dec[0].isdigit() and full[0].isdigit() else '-'
        print(f"{mode:16} {f.stat().st_size/1e3:>8,.0f} {dec:>8} {full:>15} {extra:>8}")
        f.unlink()


if __name__ == '__main__': main()
