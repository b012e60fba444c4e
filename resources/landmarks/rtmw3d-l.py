# RTMW3D-L (RTMPose3D whole-body, 133 keypoints with depth), 288x384 crops: Rhythm's inference config.
# The model section matches the released rtmw3d-l_8xb64_cocktail14-384x288 config field for field, except
# that the backbone's training-only init_cfg (a 2-D RTMPose checkpoint URL) is left out, so building and
# init_weights() never touch the network. The four classes the mmpose wheel lacks (RTMW3DHead,
# SimCC3DLabel, TopdownPoseEstimator3D, KLDiscretLossWithWeight) come from rhythm.landmarks.rtmw3d.
default_scope = 'mmpose'
custom_imports = dict(imports=['rhythm.landmarks.rtmw3d'], allow_failed_imports=False)

input_size = (288, 384)  # crop width, height
num_keypoints = 133      # COCO-WholeBody order

codec = dict(
    type='SimCC3DLabel',
    input_size=(288, 384, 288),
    sigma=(6., 6.93, 6.),
    simcc_split_ratio=2.0,
    normalize=False,
    use_dark=False,
    root_index=(11, 12))

# parents of the 133 keypoints for BoneLoss (training only; the released config's skeleton)
joint_parents = [
    0, 1, 2, 3, 4, 5, 6, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 23, 24, 25, 26, 27,
    28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 50, 50, 51, 52, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 91, 92,
    93, 94, 91, 96, 97, 98, 91, 100, 101, 102, 91, 104, 105, 106, 91, 108, 109, 110, 8, 112, 113, 114, 113,
    112, 117, 118, 117, 112, 121, 122, 123, 112, 125, 126, 127, 112, 129, 130, 131]

widen_factor = 1.0
deepen_factor = 1.0
channels = [256, 512, 1024]  # neck inputs: stage 2-4 outputs (64 * widen * 4, 8, 16)
dropout_rate = 0.1

model = dict(
    type='TopdownPoseEstimator3D',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='CSPNeXt',
        arch='P5',
        expand_ratio=0.5,
        deepen_factor=deepen_factor,
        widen_factor=widen_factor,
        channel_attention=True,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='SiLU')),
    neck=dict(
        type='CSPNeXtPAFPN',
        in_channels=channels,
        out_channels=None,
        out_indices=(1, 2),
        num_csp_blocks=2,
        expand_ratio=0.5,
        norm_cfg=dict(type='SyncBN'),
        act_cfg=dict(type='SiLU', inplace=True)),
    head=dict(
        type='RTMW3DHead',
        in_channels=channels[-1],
        out_channels=num_keypoints,
        input_size=codec['input_size'],
        in_featuremap_size=tuple(s // 32 for s in codec['input_size']),
        simcc_split_ratio=codec['simcc_split_ratio'],
        final_layer_kernel_size=7,
        gau_cfg=dict(
            hidden_dims=256,
            s=128,
            expansion_factor=2,
            dropout_rate=dropout_rate,
            drop_path=0.,
            act_fn='SiLU',
            use_rel_bias=False,
            pos_enc=False),
        loss=[
            dict(type='KLDiscretLossWithWeight', use_target_weight=True, beta=10., label_softmax=True),
            dict(type='BoneLoss', joint_parents=joint_parents, use_target_weight=True, loss_weight=2.0),
        ],
        decoder=codec),
    test_cfg=dict(flip_test=False))

# MMPose's top-down test pipeline for these models (Rhythm's backends do the same in numpy:
# rhythm.landmarks.geometry): box -> centre/scale with padding 1.25 -> 288x384 affine crop.
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
