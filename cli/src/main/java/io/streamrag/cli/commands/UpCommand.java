package io.streamrag.cli.commands;

import io.streamrag.cli.JobLauncher;
import io.streamrag.cli.KafkaTools;

import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
        up(connection, options);
        System.out.println();
        System.out.println("Dashboard: http://127.0.0.1:8081   Stop: bin/rag down");
        return 0;
    }

    static void up(Connection connection, Map<String, String> options) throws Exception {
        long t0 = System.nanoTime();
        Services.require("start", "kafka");
        Services.require("start", "opensearch");
        Services.require("start", "model");
        Services.require("start", "flink");
        KafkaTools.createTopics(connection.bootstrap, List.of(connection.documentsTopic, connection.questionsTopic,
                connection.answersTopic), 2);
        KafkaTools.createTopics(connection.bootstrap, List.of(connection.deadLetterTopic, connection.outcomesTopic), 1);
        Configuration conf = jobConfiguration(connection, options);
        String ingest = JobLauncher.ensureRunning(JobLauncher.INGEST, conf);
        String query = JobLauncher.ensureRunning(JobLauncher.QUERY, conf);
        System.out.printf("jobs: %s %s, %s %s (up in %.1f s)%n", JobLauncher.INGEST, ingest, JobLauncher.QUERY, query,
                (System.nanoTime() - t0) / 1e9);
    }

    /** The local run's job options: every readable file may be ingested, OCR with Tesseract, the offline model. */
    static Configuration jobConfiguration(Connection connection, Map<String, String> options) {
        Configuration conf = new Configuration();
        conf.setString("kafka.bootstrap-servers", connection.bootstrap);
        conf.setString("opensearch.url", connection.opensearch);
        conf.setString("opensearch.index", connection.index);
        // CONTRACT.md: the local run allows every file the user can read; deployments allow none unless configured.
        conf.setString("ingest.allowed-roots", "/");
        conf.setString("execution.checkpointing.interval", "5 s");
        options.forEach(conf::setString);
        return conf;
    }
}
