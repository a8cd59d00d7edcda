"""Purpose: write the 12 small FITS images of Troop's local SIA test data (see troop/q.rd).

Deterministic: a 4 x 3 grid of 1 x 1 degree images (100 x 100 pixels of 0.01 degree) centred
at ra 11, 13.5, 16, 18.5 and dec -3, 0, 3, observed on 2024-01-01 ... 2024-01-12 (MJD
60310.0 ... 60321.0, one day apart) at 00:00 UTC for 30 s, filter r.

usage: /usr/bin/python3 make-images.py OUT_DIR   (needs python3-astropy, a python3-gavo dependency)
"""
import os
import sys

import numpy
from astropy.io import fits

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for dec in (-3.0, 0.0, 3.0):
    for ra in (11.0, 13.5, 16.0, 18.5):
        n += 1
        header = fits.Header()
        header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
        header["CRVAL1"], header["CRVAL2"] = ra, dec
        header["CRPIX1"], header["CRPIX2"] = 50.5, 50.5
        header["CDELT1"], header["CDELT2"] = -0.01, 0.01
        header["CUNIT1"], header["CUNIT2"] = "deg", "deg"
        header["EQUINOX"] = 2000.0
        header["DATE-OBS"] = "2024-01-%02dT00:00:00" % n
        header["EXPTIME"] = 30.0
        header["FILTER"] = "r"
        header["OBJECT"] = "field-%02d" % n
        data = numpy.full((100, 100), float(n), dtype=numpy.float32)
        fits.PrimaryHDU(data=data, header=header).writeto(os.path.join(out, "img-%02d.fits" % n), overwrite=True)
print(n)
