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
        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(2).toMillis());
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(3);
        // Opened at a barrier of a checkpoint that may still run its timeout, then 3 failed ones and the one that
        // commits it, each up to the timeout, with an interval before each of those 4.
        assertThat(ExactlyOnceCheckpoints.longestTransaction(env.getCheckpointConfig()))
                .isEqualTo(Duration.ofMinutes(5 * 2).plusSeconds(4 * 10));
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, new Configuration(), "Lower it.");

        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(3).toMillis());
        assertThatThrownBy(() -> ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION,
                new Configuration(), "Lower it."))
                .isInstanceOf(IllegalConfigurationException.class)
                .hasMessageContaining("job.sink.transaction-timeout (15 min) is shorter than the longest a sink transaction can "
                        + "stay open (940 s: (tolerable failed checkpoints 3 + 2) x checkpoint timeout 3 min + (3 + 1) x interval 10 s)")
                .hasMessageContaining("Lower it.");
        // None tolerated: the checkpoint the barrier belongs to and the next one.
        env.getCheckpointConfig().setTolerableCheckpointFailureNumber(0);
        assertThat(ExactlyOnceCheckpoints.longestTransaction(env.getCheckpointConfig())).isEqualTo(Duration.ofMinutes(6).plusSeconds(10));
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, new Configuration(), "Lower it.");
    }

    /**
     * A transaction timeout above the brokers' transaction.max.timeout.ms made the sinks' producers fail at start
     * (InvalidTxnTimeoutException) at every restart: refused unless kafka.transaction-max-timeout says the brokers allow it.
     */
    @Test
    void aTransactionLongerThanTheBrokersAllowIsRefusedAtStart() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(10_000);
        env.getCheckpointConfig().setCheckpointTimeout(Duration.ofMinutes(1).toMillis());
        Configuration conf = new Configuration();
        conf.setString(TRANSACTION.key(), "16 min");
        assertThatThrownBy(() -> ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, conf, "Lower it."))
                .isInstanceOf(IllegalConfigurationException.class)
                .hasMessage("job.sink.transaction-timeout (16 min) is longer than the brokers' transaction.max.timeout.ms "
                        + "(kafka.transaction-max-timeout=15 min; Kafka's default is 15 min): the sinks' producers would fail at "
                        + "start (InvalidTxnTimeoutException) and the job restart forever. Lower job.sink.transaction-timeout, or, "
                        + "if the brokers allow longer transactions, set kafka.transaction-max-timeout to their transaction.max.timeout.ms");
        conf.setString("kafka.transaction-max-timeout", "1 h"); // e.g. the Docker Compose broker
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, conf, "Lower it.");
        conf.setString(TRANSACTION.key(), "61 min");
        assertThatThrownBy(() -> ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, conf, "Lower it."))
                .hasMessageContaining("(61 min) is longer than the brokers' transaction.max.timeout.ms (kafka.transaction-max-timeout=1 h;");
        conf.setString(TRANSACTION.key(), "15 min");
        conf.removeKey("kafka.transaction-max-timeout");
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), TRANSACTION, conf, "Lower it."); // the default, at the cap
    }
}
