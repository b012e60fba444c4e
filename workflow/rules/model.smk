# The dance model: train on the prepared music features and motions, generate a dance for every
# test track, evaluate it against the test dances. Code: src/rhythm/model/ (docs/model.md).


rule model_config:
    output:
        "results/models/{run}/config.yaml",
    log:
        "logs/model_config/{run}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=lambda wc: model_stage.settings_json(config, MODEL, OUT),
    shell:
        "rhythm model-config --out {output:q} --settings {params.settings:q} > {log:q} 2>&1"


# The Perlmutter/SLURM profiles send this rule to GPU nodes by its name: keep it.
rule train_model:
    input:
        config="results/models/{run}/config.yaml",
        motions=model_motion_inputs,
        features=model_feature_inputs,
    output:
        last="results/models/{run}/checkpoints/last.pt",
        best="results/models/{run}/checkpoints/best.pt",
        metrics="results/models/{run}/metrics.csv",
        summary="results/models/{run}/summary.json",
        curve=report(
            "results/models/{run}/loss_curve.png",
            caption="../report/loss_curve.rst",
            category="Dance model",
        ),
    log:
        "logs/train_model/{run}.log",
    conda:
        ENV
    threads: config["model"]["training"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["model"]["training"]["mem_mb"],
        runtime=config["model"]["training"]["runtime_min"],
    params:
        out=lambda wc, output: str(Path(output.metrics).parent),
    shell:
        "rhythm train --config {input.config:q} --out {params.out:q} --threads {threads} > {log:q} 2>&1"


rule generate:
    input:
        checkpoint=model_checkpoint_for_generation,
        audio=f"{OUT}/audio/{{music}}.wav",
        features=f"{OUT}/features/{MODEL.fps}fps/{{music}}.npy",
        seed_motion=seed_motion_of_music,
    output:
        npy="results/generated/{run}/{music}.npy",
        pkl="results/generated/{run}/{music}.pkl",
        mp4="results/generated/{run}/{music}.mp4",
        samples="results/generated/{run}/{music}.samples.npy",
        info="results/generated/{run}/{music}.json",
    log:
        "logs/generate/{run}/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        out=lambda wc, output: str(Path(output.npy).parent),
        opts=generate_options,
    shell:
        "rhythm generate --audio {input.audio:q} --features {input.features:q} --checkpoint {input.checkpoint:q}"
        " --out {params.out:q} --threads {threads} --quiet {params.opts} > {log:q} 2>&1"


rule evaluate_model:
    input:
        generated=model_generated,
        ground_truth=model_test_motions,
        train=model_train_motions,
        beats=TARGETS.beats(),
        checkpoint=model_checkpoint_for_generation,
    output:
        json="results/generated/{run}/metrics.json",
        report=report(
            "results/generated/{run}/report.md",
            caption="../report/model_report.rst",
            category="Dance model",
        ),
    log:
        "logs/evaluate_model/{run}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        beats_dir=lambda wc, input: str(Path(input.beats[0]).parent),
        opts=model_stage.evaluate_options(config),
    shell:
        "rhythm evaluate --generated {input.generated:q} --ground-truth {input.ground_truth:q} --train {input.train:q}"
        " --beats-dir {params.beats_dir:q} --checkpoint {input.checkpoint:q} --run {wildcards.run} {params.opts}"
        " --out-json {output.json:q} --out-report {output.report:q} > {log:q} 2>&1"
