"""Landmarks without any network: crop geometry, the SimCC-3D codec, RTMDet's numpy post-processing.

Synthetic geometry throughout: box -> crop -> keypoints back in the image must round-trip exactly.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rhythm.landmarks import codec, geometry, rtmdet

RNG = np.random.default_rng(0)


def random_boxes(n: int, width=1920, height=1080) -> np.ndarray:
    x1 = RNG.uniform(-50, width - 100, n)
    y1 = RNG.uniform(-50, height - 100, n)
    return np.stack([x1, y1, x1 + RNG.uniform(5, 900, n), y1 + RNG.uniform(5, 900, n)], axis=1)


# ----------------------------------------------------------------------------- geometry


def test_center_scale_padding_and_aspect():
    centers, scales = geometry.crop_boxes(np.array([[100.0, 50.0, 300.0, 450.0], [0.0, 0.0, 400.0, 100.0]]))
    assert np.allclose(centers, [[200, 250], [200, 50]])
    # 200x400 padded to 250x500 is narrower than 3:4 -> width grows to 375; 400x100 -> 500x125 grows in height
    assert np.allclose(scales, [[375, 500], [500, 500 / 0.75]])
    assert np.allclose(scales[:, 0] / scales[:, 1], 288 / 384)


def test_crop_matrix_matches_mmpose_three_point_construction():
    """MMPose solves the matrix from three points (centre, centre - w/2 along x, a 90-degree third)."""
    centers, scales = geometry.crop_boxes(random_boxes(20))
    ours = geometry.crop_matrices(centers, scales)
    for c, s, m in zip(centers, scales, ours):
        src = np.array([c, c + [-s[0] / 2, 0], c + [0, s[0] / 2]], np.float32)
        dst = np.array([[144, 192], [0, 192], [144, 192 + 144]], np.float32)
        assert np.allclose(cv2.getAffineTransform(src, dst), m, rtol=1e-4, atol=1e-3)


def test_box_crop_keypoints_round_trip_exact():
    boxes = random_boxes(50)
    centers, scales = geometry.crop_boxes(boxes)
    points = RNG.uniform(-500, 2500, (50, 133, 2))
    in_crop = geometry.image_to_crop(points, centers, scales)
    back = geometry.crop_to_image(in_crop, centers, scales)
    assert np.abs(back - points).max() < 1e-9
    # the closed-form inverse and the inverted matrix agree
    inv = geometry.invert_affine(geometry.crop_matrices(centers, scales))
    assert np.abs(geometry.apply_affine(inv, in_crop) - points).max() < 1e-9
    # the box's centre lands in the crop's centre, its corners inside the crop (padding 1.25)
    corners = np.stack([boxes[:, :2], boxes[:, 2:]], axis=1)
    crop_corners = geometry.image_to_crop(corners, centers, scales)
    assert np.all(crop_corners >= 0) and np.all(crop_corners[..., 0] <= 288) and np.all(crop_corners[..., 1] <= 384)
    assert np.abs(geometry.image_to_crop(centers[:, None], centers, scales)[:, 0] - [144, 192]).max() < 1e-9


def test_warp_crops_samples_where_the_matrix_says():
    """On a linear ramp image, bilinear warping is exact up to OpenCV's 1/32-pixel interpolation table."""
    h, w = 540, 960
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.stack([xs, ys, xs + ys], axis=-1)
    box = np.array([[300.0, 100.0, 520.0, 500.0]])
    centers, scales = geometry.crop_boxes(box)
    crop = geometry.warp_crops(image, centers, scales)[0]
    v, u = np.mgrid[0:384, 0:288].astype(np.float64)
    where = geometry.crop_to_image(np.stack([u, v], -1).reshape(1, -1, 2), centers, scales)[0].reshape(384, 288, 2)
    inside = (where[..., 0] >= 0) & (where[..., 0] <= w - 1) & (where[..., 1] >= 0) & (where[..., 1] <= h - 1)
    assert inside.mean() > 0.9
    assert np.abs(crop[..., 0][inside] - where[..., 0][inside]).max() < 1 / 32 + 1e-3
    assert np.abs(crop[..., 1][inside] - where[..., 1][inside]).max() < 1 / 32 + 1e-3
    # outside the image: zeros
    outside = (where[..., 0] < -1) | (where[..., 0] > w) | (where[..., 1] < -1) | (where[..., 1] > h)
    assert outside.any() and np.all(crop[outside] == 0)


# ----------------------------------------------------------------------------- codec


def test_decode_synthetic_logits():
    p = codec.SimCC3DParams()
    x = np.full((2, 3, 576), -1.0, np.float32)
    y = np.full((2, 3, 768), -1.0, np.float32)
    z = np.full((2, 3, 576), -1.0, np.float32)
    x[0, 0, 100], y[0, 0, 300], z[0, 0, 288] = 2.0, 1.5, 0.1  # root depth: bin 288 <-> z_rel 0
    x[0, 1, 7], y[0, 1, 9], z[0, 1, 0] = 0.5, 3.0, 1.0  # score = min(0.5, 3.0); z bin 0 <-> -z_range
    x[0, 2, [5, 6]] = 1.0  # a tie: the first maximum wins
    y[0, 2, 11], z[0, 2, 575] = 1.0, 1.0
    x[1, 0, 50], y[1, 0, 60], z[1, 0, 70] = -0.5, 2.0, 2.0  # score <= 0: upstream's -1 marker
    kp, simcc, scores = codec.decode(x, y, z, p)
    assert kp.shape == (2, 3, 3) and scores.shape == (2, 3)
    assert np.allclose(kp[0, 0], [50.0, 150.0, 0.0]) and scores[0, 0] == pytest.approx(1.5)
    assert np.allclose(kp[0, 1], [3.5, 4.5, -p.z_range]) and scores[0, 1] == pytest.approx(0.5)
    assert np.allclose(kp[0, 2], [2.5, 5.5, (287.5 / 144 - 1) * p.z_range])
    assert np.allclose(simcc[0, 2], [2.5, 5.5, 287.5])
    assert np.allclose(kp[1, 0, :2], -0.5) and kp[1, 0, 2] == pytest.approx((-0.5 / 144 - 1) * p.z_range)
    assert scores[1, 0] == pytest.approx(-0.5)


def test_encode_decode_round_trip_on_the_bin_grid():
    p = codec.SimCC3DParams()
    n, k = 4, 133
    bins = np.stack([RNG.integers(0, 576, (n, k)), RNG.integers(0, 768, (n, k)), RNG.integers(0, 576, (n, k))], -1)
    keypoints = bins / 2.0
    keypoints[..., 2] = (keypoints[..., 2] / 144 - 1) * p.z_range  # metres
    x, y, z, weights = codec.encode(keypoints, params=p)
    assert np.all(weights == 1)
    decoded, _, scores = codec.decode(x, y, z, p)
    assert np.abs(decoded[..., :2] - keypoints[..., :2]).max() == 0
    assert np.abs(decoded[..., 2] - keypoints[..., 2]).max() < 1e-6
    assert np.allclose(scores, 1.0)


def test_encode_marks_invisible_and_outside_keypoints():
    p = codec.SimCC3DParams()
    kp = np.array([[[10.0, 10.0, 0.0], [400.0, 10.0, 0.0], [10.0, 10.0, 0.0]]])
    x, y, z, w = codec.encode(kp, visible=np.array([[1, 1, 0]]), params=p)
    assert w.tolist() == [[1, 0, 0]]  # x = 400 px is 800 bins: the Gaussian is wholly outside
    assert x[0, 1].max() == 0 and x[0, 2].max() == 0


def test_full_chain_box_to_keypoints_in_image_exact():
    """Image keypoints whose crop position is on the bin grid come back exactly after encode/decode."""
    boxes = random_boxes(8)
    centers, scales = geometry.crop_boxes(boxes)
    crop_xy = np.stack([RNG.integers(0, 576, (8, 133)), RNG.integers(0, 768, (8, 133))], -1) / 2.0
    image_xy = geometry.crop_to_image(crop_xy, centers, scales)
    to_crop = geometry.image_to_crop(image_xy, centers, scales)
    assert np.abs(to_crop - crop_xy).max() < 1e-9
    kp = np.concatenate([np.round(to_crop * 2) / 2, np.zeros((8, 133, 1))], -1)
    decoded, _, _ = codec.decode(*codec.encode(kp)[:3])
    back = geometry.crop_to_image(decoded[..., :2].astype(np.float64), centers, scales)
    assert np.abs(back - image_xy).max() < 1e-9


# ----------------------------------------------------------------------------- RTMDet numpy side


def test_letterbox_scale_factor_and_padding():
    img = np.full((480, 720, 3), 7, np.uint8)
    out, factor = rtmdet.letterbox(img, rtmdet.RTMDetParams(input_size=(640, 640)))
    assert out.shape == (640, 640, 3)
    assert factor == pytest.approx((640 / 720, 427 / 480))  # int(480 * 0.8889 + 0.5) = 427
    assert np.all(out[:427] == 7) and np.all(out[427:] == 114)


def test_priors_are_row_major_cell_corners():
    pts = rtmdet.priors(2, 3, 16)
    assert pts.tolist() == [[0, 0], [16, 0], [32, 0], [0, 16], [16, 16], [32, 16]]


def brute_force_nms(boxes, scores, thr):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        ok = True
        for j in keep:
            xx1, yy1 = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            xx2, yy2 = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(0.0, xx2 - xx1) * max(0.0, yy2 - yy1)
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
            if inter / (area(boxes[i]) + area(boxes[j]) - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


def test_nms_matches_brute_force_and_is_class_aware():
    boxes = random_boxes(200, 300, 300).astype(np.float32)
    scores = RNG.permutation(200).astype(np.float32) / 200
    assert rtmdet.nms(boxes, scores, 0.5).tolist() == brute_force_nms(boxes.tolist(), scores.tolist(), 0.5)
    # identical boxes of two classes both survive; IoU exactly at the threshold does not suppress
    b = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 5]], np.float32)
    keep = rtmdet.batched_nms(b, np.array([0.9, 0.8, 0.7, 0.6], np.float32), np.array([0, 1, 0, 0]), 0.5)
    assert keep.tolist() == [0, 1, 3]


def test_decode_keeps_the_best_boxes_in_image_pixels():
    p = rtmdet.RTMDetParams(
        input_size=(64, 64), strides=(8, 16, 32), score_thr=0.05, nms_pre=1000, iou_threshold=0.6, max_per_img=10
    )
    cls = [np.full((1, 64 // s, 64 // s), -10.0, np.float32) for s in p.strides]
    dist = [np.full((4, 64 // s, 64 // s), 4.0, np.float32) for s in p.strides]
    cls[0][0, 2, 3] = 3.0  # one confident cell at stride 8: prior (24, 16)
    dist[0][:, 2, 3] = [4, 6, 8, 10]
    boxes, scores, labels = rtmdet.decode(cls, dist, (0.5, 0.5), p)  # the image was scaled by 1/2
    assert len(boxes) == 1 and labels.tolist() == [0]
    assert np.allclose(boxes[0], [(24 - 4) * 2, (16 - 6) * 2, (24 + 8) * 2, (16 + 10) * 2])
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_person_boxes_best_first_and_none_wholly_outside_the_image():
    from rhythm.landmarks.backend import select_persons

    boxes = np.array([[10, 10, 50, 90], [0, 200, 8, 230], [300, 20, 340, 80], [5, 5, 9, 9], [-30, -30, 1, 1.0]])
    scores = np.array([0.5, 0.99, 0.7, 0.2, 0.6])
    labels = np.array([0, 0, 0, 0, 1])
    b, s = select_persons(boxes, scores, labels, 0.3)
    assert s.tolist() == pytest.approx([0.99, 0.7, 0.5]) and b.dtype == np.float32
    # a 320x180 frame letterboxed to 320x320: the box at y 200-230 is in the padding; the one
    # reaching past the right edge (a person cut by the frame) stays, uncut
    b, s = select_persons(boxes, scores, labels, 0.3, image_shape=(180, 320, 3))
    assert b.tolist() == [[300, 20, 340, 80], [10, 10, 50, 90]]
