"""Own data: good files load, broken ones are rejected with a message naming them."""

import numpy as np
import pytest
from PIL import Image

from models.user_data import load_user_data


def test_csv_with_header_loads(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n0,1\n2,3\n4,5.5\n")
    data = load_user_data(path)
    assert data.samples.shape == (3, 2), "three 2-D points"
    assert np.allclose(data.samples[2], [4, 5.5]), "values are kept"
    assert data.name == "custom"


def test_npy_1d_loads(tmp_path):
    path = tmp_path / "values.npy"
    np.save(path, np.linspace(0, 1, 50))
    data = load_user_data(path)
    assert data.samples.shape == (50, 1), "1-D points become one column"


def test_image_folder_loads_upright(tmp_path):
    for k in range(3):
        pixels = np.full((32, 32), 255, dtype=np.uint8)
        pixels[:8, :] = 0  # a dark bar along the top
        Image.fromarray(pixels).save(tmp_path / f"img{k}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    data = load_user_data(tmp_path, image_size=8)
    assert data.samples.shape == (3, 64), "three 8x8 images"
    image = data.samples[0].reshape(8, 8)
    assert image[0].mean() > 0.9 and image[-1].mean() < 0.1, "ink at the top row"


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


BROKEN_FILES = {
    "empty.csv": ("", "is empty"),
    "text.csv": ("a,b\nhello,world\nfoo,bar\n", "no numeric rows"),
    "mixed.csv": ("1,2\n3,four\n", "line 2 is not numeric"),
    "ragged.csv": ("1,2\n3\n", "line 2 has 1 columns"),
    "three.csv": ("1,2,3\n4,5,6\n", "3 columns"),
    "nan.csv": ("1,2\nnan,3\n", "line 2 .* NaN or infinite"),
    "inf.csv": ("1,2\ninf,3\n", "NaN or infinite"),
    "header_nan.csv": ("# points\nx,y\n1,2\n3,nan\n", "line 4 .* NaN or infinite"),
    "huge.csv": ("1,2\n1e31,3\n", "line 2 .* beyond ±1e\\+30"),
    "overflow.csv": ("1,2\n1e400,3\n", "line 2 .* NaN or infinite"),
    "single.csv": ("1,2\n", "at least 2 points"),
    "binary.csv": (b"\xff\xfe\x00\x01garbage", "not a UTF-8 text file"),
    "comments.csv": ("# only a comment\n\n", "no numeric rows"),
    "points.json": ("[[1, 2]]", "use .csv, .txt, .npy"),
    "truncated.npy": (b"\x93NUMPY\x01\x00", "not a readable NPY"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_file_is_rejected(tmp_path, name):
    content, message = BROKEN_FILES[name]
    path = _write(tmp_path / name, content)
    with pytest.raises(ValueError, match=message) as error:
        load_user_data(path)
    assert name in str(error.value), f"the message should name the file: {error.value}"


@pytest.mark.parametrize(
    "bad, message",
    [(np.nan, "row 3 of 4 contains a NaN"), (-1e300, "row 3 of 4 has a value beyond")],
)
def test_bad_npy_row_counts_from_one(tmp_path, bad, message):
    path = tmp_path / "points.npy"
    points = np.zeros((4, 2))
    points[2, 1] = bad
    np.save(path, points)
    with pytest.raises(ValueError, match=message):
        load_user_data(path)


def test_values_at_limit_load(tmp_path):
    path = tmp_path / "large.csv"
    path.write_text("-1e30,0\n1e30,1\n0,2\n")
    data = load_user_data(path)
    normalised = data.normalise(data.samples)
    assert np.all(np.isfinite(normalised)), "values up to 1e30 normalise finitely"


def test_pickled_npy_is_rejected(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="not a plain numeric NPY"):
        load_user_data(path)


def test_wrong_shape_npy_is_rejected(tmp_path):
    path = tmp_path / "cube.npy"
    np.save(path, np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match="shape"):
        load_user_data(path)


def test_string_npy_is_rejected(tmp_path):
    path = tmp_path / "words.npy"
    np.save(path, np.array(["a", "b"]))
    with pytest.raises(ValueError, match="not real numbers"):
        load_user_data(path)


def test_folder_without_images_is_rejected(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="contains no images"):
        load_user_data(tmp_path)


def test_folder_of_corrupt_images_is_rejected(tmp_path):
    for k in range(3):
        (tmp_path / f"bad{k}.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match="0 readable image"):
        load_user_data(tmp_path)


def test_missing_path_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_user_data(tmp_path / "absent.csv")


def test_constant_points_load(tmp_path):
    path = tmp_path / "same.csv"
    path.write_text("1,1\n1,1\n1,1\n")
    data = load_user_data(path)
    assert np.all(np.isfinite(data.normalise(data.samples))), "no division by zero"
