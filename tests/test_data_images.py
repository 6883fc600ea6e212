"""CelebA's layout and plain image folders, with their broken variants."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pumap_core.data import DataError, load
from pumap_core.data.celeba import read_attributes

ATTRS = ["Smiling", "Eyeglasses", "Male"]


def make_celeba(root, n=6, size=(30, 40), rows=None, header_count=None, seed=0):
    """CelebA layout with ``n`` JPEGs of ``size`` (w, h); ``rows`` = attribute row order."""
    rng = np.random.default_rng(seed)
    img_dir = root / "img_align_celeba"
    img_dir.mkdir(parents=True)
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, name in enumerate(names):
        arr = np.full((size[1], size[0], 3), 20 * i, dtype=np.uint8)
        Image.fromarray(arr).save(img_dir / name, quality=95)
    values = rng.choice([-1, 1], size=(n, len(ATTRS)))
    order = list(range(n)) if rows is None else rows
    lines = [str(len(order) if header_count is None else header_count), " ".join(ATTRS)]
    lines += [f"{names[i]} " + " ".join(f"{v:2d}" for v in values[i]) for i in order]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    return names, (values > 0).astype(int)


def test_celeba_loads_images_and_01_attributes(tmp_path):
    names, values = make_celeba(tmp_path, rows=[3, 0, 5, 1, 4, 2, ])
    ds = load(tmp_path, image_size=16)
    assert ds.images.shape == (6, 16, 16, 3) and ds.images.dtype == np.uint8
    assert list(ds.attributes.columns) == ATTRS
    assert list(ds.attributes.index) == names
    np.testing.assert_array_equal(ds.attributes.to_numpy(), values)
    assert set(np.unique(ds.attributes.to_numpy())) <= {0, 1}
    assert ds.labels is None
    assert abs(int(ds.images[2].mean()) - 40) <= 2  # third file by name, not by row


def test_celeba_extra_rows_are_ignored_and_limit_keeps_first_files(tmp_path):
    names, values = make_celeba(tmp_path)
    (tmp_path / "img_align_celeba" / names[-1]).unlink()
    ds = load(tmp_path, limit=3, image_size=(8, 12))
    assert ds.images.shape == (3, 8, 12, 3)
    assert list(ds.attributes.index) == names[:3]


def test_celeba_default_size_and_label_column(tmp_path):
    _, values = make_celeba(tmp_path, n=3, size=(89, 109))
    ds = load(tmp_path / "img_align_celeba", label_column="Smiling")
    assert ds.image_shape == (64, 64, 3)
    assert ds.labels.tolist() == values[:, 0].tolist()
    assert ds.label_names == ["not Smiling", "Smiling"]
    with pytest.raises(DataError, match="no attribute 'Happy'"):
        load(tmp_path, label_column="Happy")


def test_celeba_native_size_with_image_size_none(tmp_path):
    make_celeba(tmp_path, n=2, size=(10, 14))
    assert load(tmp_path, image_size=None).image_shape == (14, 10, 3)


def test_celeba_attribute_rows_missing_for_images(tmp_path):
    make_celeba(tmp_path, rows=[0, 1, 2])
    with pytest.raises(DataError, match=r"list_attr_celeba.txt.*rows missing for 3 images"):
        load(tmp_path)


def test_celeba_truncated_attribute_file(tmp_path):
    make_celeba(tmp_path, header_count=10)
    with pytest.raises(DataError, match="says 10 rows but the file has 6"):
        load(tmp_path)


def test_celeba_bad_attribute_values(tmp_path):
    make_celeba(tmp_path)
    p = tmp_path / "list_attr_celeba.txt"
    p.write_text(p.read_text().replace("000002.jpg -1", "000002.jpg  7").replace(
        "000002.jpg  1", "000002.jpg  7"))
    with pytest.raises(DataError, match="000002.jpg should have 3 values"):
        read_attributes(p)


@pytest.mark.parametrize("change", ["extra value", "missing value", "fewer names"])
def test_celeba_attribute_file_that_does_not_match(tmp_path, change):
    """Rows wider or narrower than the names line: pandas would silently drop or
    shift values; the loader names the file, the line and both counts."""
    make_celeba(tmp_path)
    p = tmp_path / "list_attr_celeba.txt"
    lines = p.read_text().splitlines()
    if change == "extra value":
        lines[4] += "  1"
        expect = r"line 5 \(000003.jpg\) has 4 values but line 2 names 3 attributes"
    elif change == "missing value":
        lines[3] = lines[3].rsplit(" ", 1)[0].rstrip()
        expect = r"line 4 \(000002.jpg\) has 2 values but line 2 names 3 attributes"
    else:
        lines[1] = "Smiling Eyeglasses"
        expect = r"line 3 \(000001.jpg\) has 3 values but line 2 names 2 attributes"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=expect):
        load(tmp_path, image_size=8)


def test_celeba_corrupt_image_is_named(tmp_path):
    names, _ = make_celeba(tmp_path)
    (tmp_path / "img_align_celeba" / names[4]).write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(DataError, match=names[4]):
        load(tmp_path, image_size=8)


def test_celeba_truncated_image(tmp_path):
    names, _ = make_celeba(tmp_path, size=(60, 60))
    p = tmp_path / "img_align_celeba" / names[1]
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(DataError, match=names[1]):
        load(tmp_path, image_size=8)


def test_celeba_empty_image_folder(tmp_path):
    make_celeba(tmp_path, n=1)
    (tmp_path / "img_align_celeba" / "000001.jpg").unlink()
    with pytest.raises(DataError, match="empty folder"):
        load(tmp_path)


def _png_folder(folder, n=4, size=(6, 5), mode="RGB"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
        Image.fromarray(np.full(shape, 10 * i, dtype=np.uint8), mode=None).save(
            folder / f"img{i}.png")
    return [f"img{i}.png" for i in range(n)]


def test_image_folder_with_attributes_csv_and_auto_label(tmp_path):
    names = _png_folder(tmp_path)
    pd.DataFrame({"filename": names[::-1], "label": ["b", "a", "b", "a"],
                  "age": [4, 3, 2, 1]}).to_csv(tmp_path / "meta.csv", index=False)
    ds = load(tmp_path)
    assert ds.images.shape == (4, 5, 6, 3)
    assert ds.attributes["age"].tolist() == [1, 2, 3, 4]
    assert ds.label_names == ["a", "b"] and ds.labels.tolist() == [0, 1, 0, 1]


def test_image_folder_csv_missing_rows(tmp_path):
    names = _png_folder(tmp_path)
    pd.DataFrame({"file": names[:2], "x": [1, 2]}).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="rows missing for 2 images"):
        load(tmp_path)


def test_image_folder_class_subfolders_and_grayscale(tmp_path):
    _png_folder(tmp_path / "cats", n=2, mode="L")
    _png_folder(tmp_path / "dogs", n=3, mode="L")
    ds = load(tmp_path)
    assert ds.images.shape == (5, 5, 6)
    assert ds.label_names == ["cats", "dogs"] and ds.labels.tolist() == [0, 0, 1, 1, 1]


def test_image_folder_mixed_sizes_are_resized_to_the_first(tmp_path):
    _png_folder(tmp_path, n=2, size=(6, 5))
    Image.new("RGB", (12, 20)).save(tmp_path / "img9.png")
    assert load(tmp_path).images.shape == (3, 5, 6, 3)
    assert load(tmp_path, image_size=4).images.shape == (3, 4, 4, 3)


def test_image_folder_corrupt_png(tmp_path):
    _png_folder(tmp_path, n=2)
    (tmp_path / "img1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(DataError, match="img1.png"):
        load(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="empty folder"):
        load(tmp_path)
