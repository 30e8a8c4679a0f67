package io.streamrag.cli.commands;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code rag down}: stops both jobs with a savepoint (the next {@code up} resumes from it), then the Flink cluster,
 * the model endpoint and, unless told otherwise, Kafka and OpenSearch.
 */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop both jobs with a savepoint, then the Flink cluster, the model endpoint, OpenSearch and Kafka. "
                + "Data, savepoints and checkpoints are kept; `rag up` resumes the jobs.")
public class DownCommand implements Callable<Integer> {

    @Option(names = "--cluster-only", description = "Leave Kafka and OpenSearch running (stop jobs, Flink and the model endpoint).")
    boolean clusterOnly;

    @Option(names = "--savepoint-timeout", defaultValue = "2m", description = "Longest wait for each job's savepoint (default: ${DEFAULT-VALUE}).")
    Duration savepointTimeout;

    @Override
    public Integer call() throws Exception {
        stopJobs(savepointTimeout);
        if (!clusterOnly) {
            return Services.run("stop", "all");
        }
        int rc = Services.run("stop", "flink");
        return Math.max(rc, Services.run("stop", "model"));
    }

    /** Stops the running jobs with savepoints; a job whose savepoint fails is cancelled (its retained checkpoint stays). */
    static void stopJobs(Duration timeout) throws Exception {
        FlinkRest rest = FlinkRest.local();
        if (!rest.isUp()) {
            return;
        }
        for (String name : List.of(JobLauncher.INGEST, JobLauncher.QUERY)) {
            FlinkRest.JobInfo job = rest.running(name);
            if (job == null) {
                continue;
            }
            try {
                System.out.println(name + ": stopped with savepoint " + JobLauncher.stopWithSavepoint(rest, job, timeout));
            } catch (Exception e) {
                System.out.println(name + ": savepoint failed (" + e.getMessage() + "); cancelling, `up` resumes from its latest checkpoint");
                rest.cancel(job.id());
            }
        }
    }
}
