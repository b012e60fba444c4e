# 3D poses: (T, 17, 3) float32 arrays from the keypoints3d pickles.


rule poses:
    input:
        keypoints3d_of_sequence,
    output:
        "results/{dataset}/poses/{sequence}.npy",
    params:
        opts=lambda wc: " ".join(
            [
                "--optim" if config["poses"]["optim"] else "",
                "--center" if config["poses"]["center"] else "",
                f"--units {config['poses']['units']} --fps {config['poses']['fps']}",
                f"--smooth {config['poses']['smooth_sigma']}",
            ]
        ),
    log:
        "logs/poses/{dataset}/{sequence}.log",
    conda:
        ENV
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "rhythm poses {input} --out {output} {params.opts} > {log} 2>&1"
