package io.streamrag.common.kafka;

import io.streamrag.common.config.StreamRagOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;

/**
 * Checkpointing for a job whose Kafka sinks are exactly-once: the interval each job's {@code configure} sets, and the
 * check that a sink's transaction outlives the checkpoints that may pass before it is committed.
 */
public final class ExactlyOnceCheckpoints {
    private ExactlyOnceCheckpoints() {}

    /**
     * Turns checkpointing on: at the job's own interval when {@code jobInterval} is set above 0; else at Flink's
     * {@code execution.checkpointing.interval} when the cluster or the command line set one; else at {@code fallback}.
     * The sinks commit on checkpoints, so without them nothing would ever become visible.
     */
    public static void enable(StreamExecutionEnvironment env, Configuration conf, ConfigOption<Duration> jobInterval, Duration fallback) {
        Duration own = conf.getOptional(jobInterval).orElse(Duration.ZERO);
        if (own.toMillis() > 0) {
            env.enableCheckpointing(own.toMillis());
        } else if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(fallback.toMillis());
        }
    }

    /**
     * The longest a sink's transaction can stay open: it starts when checkpoint n's barrier passes the sink, and n may
     * still take up to its timeout to complete; it is committed when the next checkpoint that completes does, and each
     * of the tolerated failed checkpoints in between may take the whole timeout: (tolerated + 2) x timeout +
     * (tolerated + 1) x interval.
     */
    public static Duration longestTransaction(CheckpointConfig checkpoints) {
        long tolerated = Math.max(0, checkpoints.getTolerableCheckpointFailureNumber());
        return Duration.ofMillis((tolerated + 2) * checkpoints.getCheckpointTimeout() + (tolerated + 1) * checkpoints.getCheckpointInterval());
    }

    /**
     * Refuses to start a job whose sink transactions could time out before they are committed: the broker then aborts
     * them and Flink's Kafka committer only logs "data has been potentially lost" and goes on, so the answers or
     * outcomes they held would never be written. {@code remedy} says what to lower in this job. Refuses as well a
     * transaction timeout above the brokers' cap ({@link StreamRagOptions#KAFKA_TRANSACTION_MAX_TIMEOUT}): the sinks'
     * producers would fail at start with InvalidTxnTimeoutException, and the job restart forever.
     */
    public static void requireTransactionsOutlive(CheckpointConfig checkpoints, ConfigOption<Duration> transactionTimeout,
                                                  Configuration conf, String remedy) {
        Duration timeout = conf.get(transactionTimeout);
        Duration cap = conf.get(StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT);
        if (timeout.compareTo(cap) > 0) {
            throw new IllegalConfigurationException(String.format(
                    "%s (%s) is longer than the brokers' transaction.max.timeout.ms (%s=%s; Kafka's default is 15 min): the"
                            + " sinks' producers would fail at start (InvalidTxnTimeoutException) and the job restart forever."
                            + " Lower %s, or, if the brokers allow longer transactions, set %s to their transaction.max.timeout.ms",
                    transactionTimeout.key(), human(timeout), StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT.key(), human(cap),
                    transactionTimeout.key(), StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT.key()));
        }
        Duration longest = longestTransaction(checkpoints);
        if (timeout.compareTo(longest) < 0) {
            throw new IllegalConfigurationException(String.format(
                    "%s (%s) is shorter than the longest a sink transaction can stay open (%s: (tolerable failed checkpoints %d + 2)"
                            + " x checkpoint timeout %s + (%d + 1) x interval %s); the broker would abort transactions before their"
                            + " commit and their records would be lost. %s (the broker caps transactions at"
                            + " transaction.max.timeout.ms, 15 min by default: " + StreamRagOptions.KAFKA_TRANSACTION_MAX_TIMEOUT.key() + ")",
                    transactionTimeout.key(), human(timeout), human(longest), checkpoints.getTolerableCheckpointFailureNumber(),
                    human(Duration.ofMillis(checkpoints.getCheckpointTimeout())), checkpoints.getTolerableCheckpointFailureNumber(),
                    human(Duration.ofMillis(checkpoints.getCheckpointInterval())), remedy));
        }
    }

    private static String human(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }
}
