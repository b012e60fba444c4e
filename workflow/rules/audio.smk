# Music: one 16 kHz mono WAV per music track, and its beats and tempo.


rule extract_audio:
    input:
        music_source,
    output:
        "results/{dataset}/audio/{music}.wav",
    params:
        rate=config["audio"]["sample_rate"],
    log:
        "logs/extract_audio/{dataset}/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "rhythm audio {input} --out {output} --sample-rate {params.rate} > {log} 2>&1"


rule beats:
    input:
        "results/{dataset}/audio/{music}.wav",
    output:
        beats="results/{dataset}/beats/{music}.json",
        plot=report(
            "results/{dataset}/reports/beats/{music}.png",
            caption="../report/beats.rst",
            category="Beats",
        ),
    params:
        opts=BEAT_OPTS,
    log:
        "logs/beats/{dataset}/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "rhythm beats {input} --out {output.beats} --plot {output.plot} {params.opts} > {log} 2>&1"


rule music_features:
    input:
        "results/{dataset}/audio/{music}.wav",
    output:
        "results/{dataset}/features/{fps}fps/{music}.npy",
    log:
        "logs/music_features/{dataset}/{fps}fps/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    shell:
        "rhythm features {input} --out {output} --fps {wildcards.fps} > {log} 2>&1"
