# Music: one 16 kHz mono WAV per music track (from audio.music_dir, else the longest good video of
# that music: rhythm.audio.music), and its beats, tempo and features.


rule extract_audio:
    input:
        music_candidates,
    output:
        wav="results/{dataset}/audio/{music}.wav",
        report="results/{dataset}/audio/{music}.json",
    log:
        "logs/extract_audio/{dataset}/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        anno=ANNO,
        sequences=music_sequences,
        opts=AUDIO_OPTS,
        mismatch=config["frames"]["max_mismatch"],
    shell:
        "rhythm audio {input:q} --out {output.wav:q} --report {output.report:q} --music {wildcards.music}"
        " --anno-dir {params.anno:q} --sequences {params.sequences} --max-mismatch {params.mismatch}"
        " {params.opts} > {log:q} 2>&1"


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
    log:
        "logs/beats/{dataset}/{music}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        opts=BEAT_OPTS,
    shell:
        "rhythm beats {input:q} --out {output.beats:q} --plot {output.plot:q} {params.opts} > {log:q} 2>&1"


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
        "rhythm features {input:q} --out {output:q} --fps {wildcards.fps} > {log:q} 2>&1"
