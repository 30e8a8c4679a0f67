package io.streamrag.query;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.testing.DeployedFlinkConfiguration;
import io.streamrag.common.testing.LocalServices;
import io.streamrag.query.generate.StrategyName;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One options style: {@code query.*} keys, constants named like them, durations as Durations, old keys still read. */
class QueryOptionsTest {

    @Test
    void everyKeyIsQueryPrefixedWithoutUnitSuffixAndNamesItsConstant() throws Exception {
        List<ConfigOption<?>> options = options();
        assertThat(options).hasSizeGreaterThan(40);
        for (Field f : QueryOptions.class.getFields()) {
            if (f.getType() != ConfigOption.class) {
                continue;
            }
            String key = ((ConfigOption<?>) f.get(null)).key();
            assertThat(key).startsWith("query.").doesNotEndWith("-ms");
            assertThat(f.getName()).as(key)
                    .isEqualTo(key.substring("query.".length()).replaceAll("[.-]", "_").toUpperCase(Locale.ROOT));
        }
    }

    /** Flink reads a bare number as milliseconds, so a deployment's old {@code *-ms} values keep their meaning. */
    @Test
    void formerMillisecondKeysStillParse() throws Exception {
        Configuration conf = Configs.fromArgs(new String[] {
                "--query.deadline-ms", "2500",
                "--query.retry.backoff-ms", "150",
                "--query.retry.max-backoff-ms", "4000",
                "--query.retrieve.timeout-ms", "12000",
                "--query.generate.timeout-ms", "90000",
                "--query.sink.transaction-timeout-ms", "600000",
                "--query.checkpoint-interval-ms", "10000",
                "--query.buffer-timeout-ms", "7",
                "--query.vote.decided-ttl-ms", "86400000"});
        assertThat(conf.get(QueryOptions.DEADLINE)).isEqualTo(Duration.ofMillis(2500));
        assertThat(conf.get(QueryOptions.RETRY_BACKOFF)).isEqualTo(Duration.ofMillis(150));
        assertThat(conf.get(QueryOptions.RETRY_MAX_BACKOFF)).isEqualTo(Duration.ofSeconds(4));
        assertThat(conf.get(QueryOptions.RETRIEVE_TIMEOUT)).isEqualTo(Duration.ofSeconds(12));
        assertThat(conf.get(QueryOptions.GENERATE_TIMEOUT)).isEqualTo(Duration.ofSeconds(90));
        assertThat(conf.get(QueryOptions.SINK_TRANSACTION_TIMEOUT)).isEqualTo(Duration.ofMinutes(10));
        assertThat(conf.get(QueryOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(10));
        assertThat(conf.get(QueryOptions.BUFFER_TIMEOUT)).isEqualTo(Duration.ofMillis(7));
        assertThat(conf.get(QueryOptions.DEDUP_TTL)).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void newKeysTakeUnitsAndWinOverFormerKeys() throws Exception {
        Configuration conf = Configs.fromArgs(new String[] {
                "--query.deadline", "2 min", "--query.deadline-ms", "1000", "--query.checkpoint-interval", "500ms"});
        assertThat(conf.get(QueryOptions.DEADLINE)).isEqualTo(Duration.ofMinutes(2));
        assertThat(conf.get(QueryOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void strategyIsAnEnumReadInAnyCase() throws Exception {
        assertThat(new Configuration().get(QueryOptions.STRATEGY)).isEqualTo(StrategyName.RAG);
        assertThat(Configs.fromArgs(new String[] {"--query.strategy", "iterdrag"}).get(QueryOptions.STRATEGY))
                .isEqualTo(StrategyName.ITERDRAG);
        assertThat(StrategyName.parse(" Drag ")).isEqualTo(StrategyName.DRAG);
        assertThat(StrategyName.parse("CoT")).isNull();
        assertThat(StrategyName.choices()).isEqualTo("RAG, DRAG or ITERDRAG");
    }

    private static List<ConfigOption<?>> options() throws IllegalAccessException {
        List<ConfigOption<?>> out = new ArrayList<>();
        for (Field f : QueryOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                out.add((ConfigOption<?>) f.get(null));
            }
        }
        return out;
    }

    @Test
    void theDeployedCheckpointingKeepsTheSinksTransactionUnderTheBrokersCapAndTheIntervalIsNotOverridden() throws Exception {
        // As the operator starts the job: the FlinkDeployment's Flink configuration, then main's configure.
        Configuration flink = DeployedFlinkConfiguration.of("query");
        Configuration job = Configs.fromArgs(new String[] {"--config",
                LocalServices.repositoryRoot().resolve("deploy/k8s/query.properties").toString()}, ConfigKeys.forJob(QueryOptions.class));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        QueryJob.configure(env, job);
        assertThat(env.getCheckpointConfig().getTolerableCheckpointFailureNumber()).isPositive(); // an S3 hiccup is no failover
        // Four checkpoints of up to the full timeout may pass before a transaction's commit.
        flink.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(10));
        assertThatThrownBy(() -> QueryJob.configure(StreamExecutionEnvironment.getExecutionEnvironment(flink), job))
                .isInstanceOf(IllegalConfigurationException.class).hasMessageContaining("query.sink.transaction-timeout");

        // Without query.checkpoint-interval, Flink's execution.checkpointing.interval stands.
        Configuration interval = new Configuration();
        interval.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(10));
        StreamExecutionEnvironment plain = StreamExecutionEnvironment.getExecutionEnvironment(interval);
        QueryJob.configure(plain, new Configuration());
        assertThat(plain.getCheckpointConfig().getCheckpointInterval()).isEqualTo(10_000);
    }
}
