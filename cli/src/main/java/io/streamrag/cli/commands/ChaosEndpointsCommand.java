package io.streamrag.cli.commands;

import io.streamrag.bench.query.ChaosBenchmark;
import io.streamrag.common.config.StreamRagOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rag chaos endpoints}: the query job against faulty endpoints, beside a healthy run. */
@Command(name = "endpoints", mixinStandardHelpOptions = true,
        description = {"Runs the query job in-process (MiniCluster) against model servers on ephemeral loopback "
                + "ports, with the shared Kafka and OpenSearch (a unique topic and index per run, deleted after), "
                + "and prints per scenario: %% ANSWERED within the deadline counted from when each question was "
                + "produced, duplicates, wall time against the healthy run, latencies, attempts per candidate, "
                + "hedged calls, breaker open/half-open times and each server's /v1/stats.",
            "Scenarios: faults (one endpoint with " + ChaosBenchmark.ISSUE_FAULTS + "), two-endpoints (one "
                + "healthy, one always failing, then always hanging, then answering without end, then stalling after "
                + "its headers), slow (10 %% of calls 10x slower, without and "
                + "with hedging, --rounds times), outage (OpenSearch refused for 30 s behind a loopback proxy, at most 100 "
                + "questions)."})
public class ChaosEndpointsCommand implements Callable<Integer> {
    /** The benchmark's own defaults, shown as the options' defaults. */
    private static final ChaosBenchmark.Settings DEFAULTS = new ChaosBenchmark.Settings();

    @Option(names = "--questions", description = "Questions per run (default: ${DEFAULT-VALUE}).")
    int questions = DEFAULTS.questions;

    @Option(names = "--n", description = "Candidates per question (default: ${DEFAULT-VALUE}).")
    int n = DEFAULTS.n;

    @Option(names = {"--deadline", "--deadline-ms"}, defaultValue = "1m",
            description = "Deadline of each question, e.g. 30s (default: ${DEFAULT-VALUE}; a plain number is ms).")
    Duration deadline;

    @Option(names = "--scenarios", split = ",",
            description = "Comma-separated: faults, two-endpoints, slow, outage (default: all).")
    String[] scenarios = {"faults", "two-endpoints", "slow", "outage"};

    @Option(names = "--rounds", description = "Rounds of the slow scenario, each a healthy run beside the slow runs; "
            + "the medians of the ratios are printed (default: ${DEFAULT-VALUE}).")
    int rounds = DEFAULTS.rounds;

    @Option(names = "--concurrency", description = "maxConcurrency of each endpoint (default: ${DEFAULT-VALUE}).")
    int concurrency = DEFAULTS.maxConcurrency;

    @Option(names = {"--endpoint-timeout", "--endpoint-timeout-ms"}, defaultValue = "10s",
            description = "Per-call timeout of each endpoint (default: ${DEFAULT-VALUE}; a plain number is ms).")
    Duration endpointTimeout;

    @Option(names = "--parallelism", description = "Job parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism = DEFAULTS.parallelism;

    @Option(names = "--set", description = "Extra query job option key=value (repeatable), e.g. --set query.hedge.enabled=false.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = {"-b", "--bootstrap-server", "--bootstrap-servers"}, description = "Kafka bootstrap servers, as in Kafka's tools (default: ${DEFAULT-VALUE}).")
    String bootstrap = StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.defaultValue();

    @Option(names = "--opensearch", description = "OpenSearch URL (default: ${DEFAULT-VALUE}).")
    String opensearch = StreamRagOptions.OPENSEARCH_URL.defaultValue();

    @Override
    public Integer call() throws Exception {
        ChaosBenchmark.Settings s = new ChaosBenchmark.Settings();
        s.questions = questions;
        s.n = n;
        s.deadlineMs = deadline.toMillis();
        s.maxConcurrency = concurrency;
        s.endpointTimeoutMs = endpointTimeout.toMillis();
        s.parallelism = parallelism;
        s.rounds = rounds;
        s.options.putAll(options);
        ChaosBenchmark bench = new ChaosBenchmark(bootstrap, opensearch);
        try {
            bench.scenarios(String.join(",", scenarios), s);
        } finally {
            bench.close();
        }
        return 0;
    }
}
