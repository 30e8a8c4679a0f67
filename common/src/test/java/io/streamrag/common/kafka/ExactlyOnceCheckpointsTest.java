package io.streamrag.common.kafka;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checkpoint interval a job takes, and the check that its sink transactions outlive the checkpoints before their commit. */
class ExactlyOnceCheckpointsTest {
    private static final ConfigOption<Duration> INTERVAL = ConfigOptions.key("job.checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(5));
    private static final ConfigOption<Duration> TRANSACTION = ConfigOptions.key("job.sink.transaction-timeout").durationType()
            .defaultValue(Duration.ofMinutes(15));

    private static long intervalTaken(Configuration flink, Configuration job) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        ExactlyOnceCheckpoints.enable(env, job, INTERVAL, Duration.ofSeconds(5));
        return env.getCheckpointConfig().getCheckpointInterval();
    }

    @Test
    void theJobsOwnIntervalWinsThenFlinksThenTheDefault() {
        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(10));
        Configuration job = new Configuration();
        assertThat(intervalTaken(flink, job)).as("execution.checkpointing.interval is not overridden by a default").isEqualTo(10_000);
        assertThat(intervalTaken(new Configuration(), job)).isEqualTo(5_000);
        job.set(INTERVAL, Duration.ofSeconds(2));
        assertThat(intervalTaken(flink, job)).isEqualTo(2_000);
        job.set(INTERVAL, Duration.ZERO);
        assertThat(intervalTaken(flink, job)).as("0 leaves Flink's").isEqualTo(10_000);
    }

    @Test
    void aTransactionThatCouldTimeOutBeforeItsCommitIsRefusedAtStart() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(10_000);
        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(3).toMillis());
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(3);
        // Opened at one barrier, committed when the fourth checkpoint after it completes, each taking up to 3 min.
        assertThat(ExactlyOnceCheckpoints.longestTransaction(env.getCheckpointConfig())).isEqualTo(Duration.ofSeconds(4 * 190));
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, new Configuration());

        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(12).toMillis());
        assertThatThrownBy(() -> ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, new Configuration()))
                .isInstanceOf(IllegalConfigurationException.class)
                .hasMessageContaining("job.sink.transaction-timeout (15 min) is shorter than the longest a sink transaction can stay open (2920 s: (tolerable failed checkpoints 3 + 1) x (checkpoint timeout 12 min + interval 10 s))")
                .hasMessageContaining("execution.checkpointing.tolerable-failed-checkpoints");
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(0);
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, new Configuration());
    }
}
