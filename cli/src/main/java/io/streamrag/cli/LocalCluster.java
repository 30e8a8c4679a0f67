package io.streamrag.cli;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A long-lived local Flink session cluster (a MiniCluster with the web dashboard on 127.0.0.1:8081) that both
 * jobs are submitted to, with checkpoints retained under {@code .state/flink/checkpoints}.
 */
public final class LocalCluster {

    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);

    public static final int REST_PORT = 8081;

    private LocalCluster() {}

    public static Configuration configuration() {
        Configuration conf = new Configuration();
        // Loopback only: nothing of the local run listens on other interfaces.
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.PORT, REST_PORT);
        conf.set(JobManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
        conf.set(TaskManagerOptions.BIND_HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.HOST, "127.0.0.1");
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Integer.getInteger("streamrag.slots", 8));
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
        conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Home.checkpoints().toUri().toString());
        conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, Home.state().resolve("flink/savepoints").toUri().toString());
        conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 2);
        conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        conf.set(RestOptions.CLIENT_MAX_CONTENT_LENGTH, 256 * 1024 * 1024);
        conf.set(RestOptions.SERVER_MAX_CONTENT_LENGTH, 256 * 1024 * 1024);
        conf.setString("web.submit.enable", "false");
        conf.setString("web.cancel.enable", "true");
        return conf;
    }

    public static void main(String[] args) throws Exception {
        Files.createDirectories(Home.checkpoints());
        Configuration conf = configuration();
        MiniClusterConfiguration clusterConf = new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(conf.get(TaskManagerOptions.NUM_TASK_SLOTS))
                .build();
        MiniCluster cluster = new MiniCluster(clusterConf);
        cluster.start();
        LOG.info("Local Flink cluster up: dashboard {} , checkpoints in {}", cluster.getRestAddress().get(), Home.checkpoints());
        System.out.println("flink: dashboard on http://127.0.0.1:" + REST_PORT);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // Jobs stop with the cluster; their retained checkpoints let the next `up` resume them.
                cluster.closeAsync().get();
            } catch (Exception e) {
                LOG.warn("Closing the local cluster failed", e);
            }
            stopped.countDown();
        }, "local-cluster-shutdown"));
        while (!stopped.await(Duration.ofHours(1).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            // keep the process alive until it is told to stop
        }
    }
}
