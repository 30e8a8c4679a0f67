package io.streamrag.cli.commands;

import io.streamrag.cli.ExitCodes;
import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.JobLauncher.JobJar;
import io.streamrag.cli.KafkaTools;
import io.streamrag.common.config.ConfigKeys;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rag up}: starts every local service and submits both jobs; running it again changes nothing. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Kafka, OpenSearch, the local model endpoint and the Flink cluster; create topics; submit both jobs.")
public class UpCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A job option for both jobs, e.g. --set query.endpoints='local=openai,http://127.0.0.1:8090/v1,extractive'.")
    Map<String, String> options = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (!optionsKnown(JobJar.INGEST_JOB.keys.and(JobJar.QUERY_JOB.keys), options)) {
            return ExitCodes.USAGE;
        }
        if (!valuesAccepted(jobConfiguration(connection, options))) {
            return ExitCodes.USAGE;
        }
        up(connection, options);
        System.out.println();
        System.out.println("Dashboard: http://127.0.0.1:8081   Stop: bin/rag down");
        return 0;
    }

    static void up(Connection connection, Map<String, String> options) throws Exception {
        long t0 = System.nanoTime();
        Configuration conf = jobConfiguration(connection, options);
        Services.require("start", "kafka");
        Services.require("start", "opensearch");
        Services.require("start", "model");
        Services.require("start", "flink");
        // One partition per parallel source subtask.
        KafkaTools.createTopics(connection.kafka(), List.of(connection.documentsTopic, connection.questionsTopic,
                connection.answersTopic, connection.deadLetterTopic, connection.outcomesTopic), PARALLELISM);
        String ingest = JobLauncher.ensureRunning(JobLauncher.INGEST, conf);
        String query = JobLauncher.ensureRunning(JobLauncher.QUERY, conf);
        FlinkRest rest = FlinkRest.local();
        var overview = rest.overview();
        System.out.printf("cluster: %d TaskManagers, %d slots; jobs: %s %s (parallelism %d), %s %s (parallelism %d); up in %.1f s%n",
                overview.path("taskmanagers").asInt(), overview.path("slots-total").asInt(),
                JobLauncher.INGEST, ingest, rest.parallelism(ingest), JobLauncher.QUERY, query, rest.parallelism(query),
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * False, after saying which and the nearest known key, when a {@code --set} key is not one of {@code keys}: a
     * misspelled option is bad usage (exit status 2), found before anything starts.
     */
    static boolean optionsKnown(ConfigKeys keys, Map<String, String> options) {
        try {
            keys.check(options.keySet());
            return true;
        } catch (IllegalArgumentException e) {
            System.err.println("rag: " + e.getMessage());
            return false;
        }
    }

    /**
     * False, after saying why, when either job refuses a value of {@code conf} when it is built (a range, a provider
     * without its URL, a transaction timeout past the brokers', a plan file it cannot read): bad usage (exit status 2),
     * found before anything starts.
     */
    static boolean valuesAccepted(Configuration conf) throws Exception {
        try {
            JobLauncher.checkValues(conf);
            return true;
        } catch (IllegalArgumentException | IllegalStateException | IllegalConfigurationException | UncheckedIOException e) {
            System.err.println("rag: " + e.getMessage());
            return false;
        }
    }

    /** Parallelism of both jobs locally, and partitions of the topics (one per source subtask, so each reads). */
    static final int PARALLELISM = 2;

    /** The local run's job options: every readable file may be ingested, OCR with Tesseract, the offline model. */
    public static Configuration jobConfiguration(Connection connection, Map<String, String> options) {
        Configuration conf = connection.configuration();   // connection + security options (no secrets)
        // CONTRACT.md: the local run allows every file the user can read; deployments allow none unless configured.
        conf.set(IngestOptions.ALLOWED_ROOTS, "/");
        // Each job's configure(env) applies these (answers become visible at each checkpoint). The parallelism is set
        // in the job: a REST jar run without one would run at 1, whatever the cluster's parallelism.default says.
        conf.set(IngestOptions.PARALLELISM, PARALLELISM);
        conf.set(QueryOptions.PARALLELISM, PARALLELISM);
        conf.set(IngestOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(5));
        conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(5));
        options.forEach(conf::setString);
        return conf;
    }
}
