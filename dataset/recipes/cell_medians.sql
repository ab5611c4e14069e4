-- The report's per-cell medians (tables/medians.csv: its n, median and replicate columns) in DuckDB, from
-- the dataset's Parquet files. The CSV's interval columns are the report's own (ci_low and ci_high, order
-- statistics of the same values; ci_level_percent, the achieved confidence level in per cent as the
-- report prints it, e.g. 96.5; ci_level_exact, the same level as the fraction computed). Run from the
-- repository root:
--
--   duckdb -c ".read dataset/recipes/cell_medians.sql"
--   python -c "import duckdb; print(duckdb.sql(open('dataset/recipes/cell_medians.sql').read()))"
--
-- Definitions (the report's: report/src/metrics.rs `Metric::of_run`, analysis.rs):
-- - a cell is device × back-end × power mode × protocol × model name × weight type × weights
--   origin (trained or synthetic: never pooled) × page-cache state at the start (cold under a
--   tenth of the model file resident, partial, warm from nine tenths; NULL before schema 1.4);
--   NULL is a value of its own;
-- - only runs with status 'ok' count; each run gives one value per metric: its own load time,
--   peak memory and mean power, the mean over its 'ok' generations of TTFT, TPOT, the two rates
--   and relevance, and its energy per output token (energy over tokens, generations with both);
-- - per cell and metric: n = runs with a finite value, median over them (even n: the mean of the
--   two middle values);
-- - except relevance in a cell whose runs gave each prompt the same output (report/src/metrics.rs
--   `Replication`): greedy decoding repeats its answers, so every run scores the same relevance
--   and runs are not its replicates; its replicate is the prompt. A cell qualifies when some
--   prompt (prompt_sha256) was answered in two or more of its 'ok' runs and no prompt got two
--   different output_sha256 (over 'ok' generations with both hashes). Each prompt's relevance is
--   the mean over the runs that scored it; n = prompts with one, median over them.
-- Cells are compared as structs in the last join: DuckDB's struct equality holds when both
-- fields are NULL, so a NULL power mode or quantisation still matches itself.
-- `union_by_name` because shards of older schema versions lack the newer (nullable) columns;
-- `hive_partitioning = false` because the rows carry their own device_label and model_name (the
-- directory names are slugs of them).
WITH generations AS (
    SELECT * FROM read_parquet('dataset/v1/generations/**/*.parquet', union_by_name = true, hive_partitioning = false)
),
runs AS (
    SELECT * FROM read_parquet('dataset/v1/runs/**/*.parquet', union_by_name = true, hive_partitioning = false)
),
per_run_generations AS (
    SELECT
        run_id,
        avg(CASE WHEN isfinite(ttft_ms) THEN ttft_ms END) AS ttft_ms,
        avg(CASE WHEN isfinite(tpot_ms) THEN tpot_ms END) AS tpot_ms,
        avg(CASE WHEN isfinite(prefill_tokens_per_s) THEN prefill_tokens_per_s END) AS prefill_tokens_per_s,
        avg(CASE WHEN isfinite(decode_tokens_per_s) THEN decode_tokens_per_s END) AS decode_tokens_per_s,
        avg(CASE WHEN isfinite(relevance) THEN relevance END) AS relevance,
        sum(energy_j) FILTER (WHERE isfinite(energy_j) AND output_tokens IS NOT NULL) AS energy_j,
        sum(output_tokens) FILTER (WHERE isfinite(energy_j) AND output_tokens IS NOT NULL) AS energy_tokens
    FROM generations
    WHERE status = 'ok'
    GROUP BY run_id
),
per_run AS (
    SELECT
        r.run_id,
        r.device_label AS device,
        r.backend,
        r.power_mode,
        r.protocol,
        r.model_name AS model,
        r.model_file_type AS quantization,
        coalesce(r.weights_origin, 'trained') AS weights_origin,
        -- Cold and warm starts are never pooled (schema 1.4; NULL before it).
        CASE WHEN r.model_resident_fraction IS NULL OR NOT isfinite(r.model_resident_fraction) THEN NULL
             WHEN r.model_resident_fraction < 0.1 THEN 'cold'
             WHEN r.model_resident_fraction < 0.9 THEN 'partial'
             ELSE 'warm' END AS page_cache,
        CAST(r.load_ms AS DOUBLE) AS load_ms,
        g.ttft_ms,
        g.tpot_ms,
        g.prefill_tokens_per_s,
        g.decode_tokens_per_s,
        CAST(r.peak_rss_bytes AS DOUBLE) AS peak_cpu_memory,
        CAST(r.peak_gpu_memory_bytes AS DOUBLE) AS peak_gpu_memory,
        CAST(r.mean_power_w AS DOUBLE) AS mean_power_w,
        CASE WHEN g.energy_tokens > 0 THEN g.energy_j / CAST(g.energy_tokens AS DOUBLE) END AS energy_per_output_token_j,
        -- Synthetic weights have no quality to score.
        CASE WHEN coalesce(r.weights_origin, 'trained') = 'trained' THEN g.relevance END AS relevance
    FROM runs r LEFT JOIN per_run_generations g USING (run_id)
    WHERE r.status = 'ok'
),
per_prompt AS (
    SELECT p.device, p.backend, p.power_mode, p.protocol, p.model, p.quantization, p.weights_origin, p.page_cache, g.prompt_sha256,
           count(DISTINCT g.run_id) AS runs,
           count(DISTINCT g.output_sha256) AS outputs,
           avg(CASE WHEN isfinite(g.relevance) THEN g.relevance END) AS relevance
    FROM generations g JOIN per_run p USING (run_id)
    WHERE g.status = 'ok' AND g.prompt_sha256 IS NOT NULL AND g.output_sha256 IS NOT NULL
    GROUP BY ALL
),
over_prompts AS (
    SELECT device, backend, power_mode, protocol, model, quantization, weights_origin, page_cache,
           'relevance' AS metric, count(relevance) AS n, median(relevance) AS median, 'prompts' AS replicate
    FROM per_prompt
    WHERE weights_origin = 'trained'
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE runs >= 2) > 0 AND count(*) FILTER (WHERE outputs > 1) = 0 AND count(relevance) > 0
),
long AS (
    UNPIVOT (SELECT * EXCLUDE (run_id) FROM per_run)
    ON load_ms, ttft_ms, tpot_ms, prefill_tokens_per_s, decode_tokens_per_s, peak_cpu_memory,
       peak_gpu_memory, mean_power_w, energy_per_output_token_j, relevance
    INTO NAME metric VALUE value
),
over_runs AS (
    SELECT device, backend, power_mode, protocol, model, quantization, weights_origin, page_cache, metric,
           count(*) AS n, median(value) AS median, 'runs' AS replicate
    FROM long
    WHERE isfinite(value)
    GROUP BY ALL
)
SELECT r.* FROM over_runs r
ANTI JOIN over_prompts p
    ON r.metric = 'relevance'
   AND struct_pack(r.device, r.backend, r.power_mode, r.protocol, r.model, r.quantization, r.weights_origin, r.page_cache)
     = struct_pack(p.device, p.backend, p.power_mode, p.protocol, p.model, p.quantization, p.weights_origin, p.page_cache)
UNION ALL
SELECT * FROM over_prompts
ORDER BY ALL;
