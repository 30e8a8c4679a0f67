package io.streamrag.cli;

import io.streamrag.ingest.IngestJob;
import io.streamrag.query.QueryJob;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Submits the two jobs to the local cluster, resuming each from its latest retained checkpoint so that
 * `rag down` followed by `rag up` continues where it stopped.
 */
public final class JobLauncher {

    public static final String INGEST = "streamrag-ingest";
    public static final String QUERY = "streamrag-query";

    private JobLauncher() {}

    /** Submits {@code name} unless a job of that name already runs; returns the job id. */
    public static String ensureRunning(String name, Configuration jobConf) throws Exception {
        FlinkRest rest = FlinkRest.local();
        FlinkRest.JobInfo running = rest.running(name);
        if (running != null) {
            return running.id;
        }
        Configuration conf = new Configuration(jobConf);
        Optional<Path> checkpoint = latestCheckpoint(name);
        checkpoint.ifPresent(path -> {
            conf.setString("execution.state-recovery.path", path.toUri().toString());
            conf.setString("execution.state-recovery.ignore-unclaimed-state", "true");
        });
        String id = submit(name, conf, false);
        checkpoint.ifPresent(path -> System.out.println("  " + name + ": resumed from " + path));
        return id;
    }

    /** Submits a job to the local cluster and returns its id; {@code bounded} jobs are not remembered for resume. */
    public static String submit(String name, Configuration conf, boolean bounded) throws Exception {
        Configuration envConf = new Configuration(conf);
        envConf.setString("execution.checkpointing.interval", conf.getString("execution.checkpointing.interval", "10 s"));
        envConf.setString("pipeline.name", name);
        // Part of the job's own checkpoint config (the cluster's default does not reach a submitted job): keep the
        // latest checkpoint when the cluster stops, so the next `rag up` resumes from it.
        envConf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(
                "127.0.0.1", LocalCluster.REST_PORT, envConf);
        if (name.startsWith(INGEST)) {
            IngestJob.fromConfiguration(conf).build(env);
        } else if (name.startsWith(QUERY)) {
            QueryJob.fromConfiguration(conf).build(env);
        } else {
            throw new IllegalArgumentException("Unknown job " + name);
        }
        JobClient client = env.executeAsync(name);
        String id = client.getJobID().toHexString();
        if (!bounded) {
            Files.createDirectories(Home.jobIds());
            Files.writeString(Home.jobIds().resolve(name + ".id"), id);
        }
        return id;
    }

    /** The newest completed checkpoint ({@code chk-N/_metadata}) of the last run of {@code name}. */
    static Optional<Path> latestCheckpoint(String name) throws IOException {
        Path idFile = Home.jobIds().resolve(name + ".id");
        if (!Files.exists(idFile)) {
            return Optional.empty();
        }
        Path dir = Home.checkpoints().resolve(Files.readString(idFile).trim());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> chks = Files.list(dir)) {
            return chks.filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .filter(p -> Files.exists(p.resolve("_metadata")))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(4))));
        }
    }
}
