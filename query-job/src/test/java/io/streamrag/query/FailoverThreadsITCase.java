package io.streamrag.query;

import io.streamrag.common.testing.FlinkTestCluster;
import io.streamrag.common.testing.ResourceCensus;
import io.streamrag.model.testing.LocalModelServerExtension;
import io.streamrag.query.functions.AdaptiveGenerate;
import io.streamrag.query.generate.EndpointHealth;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.FlinkUserCodeClassLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forced failovers on a MiniCluster: a job whose generate operator calls the local model server fails {@value #FAILOVERS}
 * times (each restart closes every operator and opens it again in the same TaskManager JVM) and then finishes; once it
 * has, no thread its code started may be left beyond what a job without failovers leaves, nor any new descriptor.
 * The threads the job's code started are told by their context class loader, the job's user-code class loader (the
 * task thread's, which threads it starts inherit), so the MiniCluster's own threads do not count. Every instance of
 * the operator stays referenced to the end, so only its {@code close()}, not the garbage collector, can have freed
 * what it held.
 */
class FailoverThreadsITCase {

    static final int FAILOVERS = 5;

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkTestCluster.extension(2);

    @RegisterExtension
    static final LocalModelServerExtension SERVER = new LocalModelServerExtension();

    /** Threads started by job code: their context class loader is a user-code class loader (or wraps one). */
    private static final Predicate<Thread> STARTED_BY_JOB_CODE = t -> {
        ClassLoader cl = t.getContextClassLoader();
        return cl instanceof FlinkUserCodeClassLoader
                || cl != null && cl.getClass().getName().startsWith("org.apache.flink.util.FlinkUserCodeClassLoaders");
    };

    private static Map<String, Integer> holders() {
        return Map.of("endpoint healths", EndpointHealth.inUse());
    }

    /** Runs the job to its end through {@code failovers} forced failures of its first attempts. */
    private static JobExecutionResult run(int failovers) throws Exception {
        Configuration envConf = new Configuration();
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, failovers);
        envConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(10));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        env.setParallelism(1);

        Configuration conf = new Configuration();
        conf.set(QueryOptions.ENDPOINTS, "local=openai," + SERVER.baseUrl() + ",extractive,8,maxChoices=2");
        conf.set(QueryOptions.ADAPTIVE, true);
        conf.set(QueryOptions.HEDGE_ENABLED, false);
        List<EndpointSpec> specs = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        DataStream<Retrieval> questions = env.fromData(TypeInformation.of(Retrieval.class),
                TestRetrievals.adminPort("q1", 3, 60_000), TestRetrievals.adminPort("q2", 3, 60_000));
        AsyncDataStream.unorderedWait(questions, new HeldAdaptiveGenerate(GenerateSettings.from(conf), specs), 60, TimeUnit.SECONDS, 8)
                .map(new FailFirstAttempts(failovers))
                .sinkTo(new DiscardingSink<>());
        return env.execute("failover-threads-itcase");
    }

    @Test
    void failoversLeaveNoThreadsOrDescriptorsBehind() throws Exception {
        run(0); // JVM-wide singletons start once
        ResourceCensus baseline = ResourceCensus.take(FailoverThreadsITCase::holders, STARTED_BY_JOB_CODE);
        FailFirstAttempts.FAILED.set(0);
        run(FAILOVERS);
        assertThat(FailFirstAttempts.FAILED).hasValue(FAILOVERS); // each one closed and re-opened the operators
        ResourceCensus.awaitBaseline(baseline, FailoverThreadsITCase::holders, Duration.ofSeconds(30));
        assertThat(EndpointHealth.inUse()).isZero();
        assertThat(HeldAdaptiveGenerate.OPENED).hasSize(1 + FAILOVERS + 1);
    }

    /**
     * The operator, each instance kept once opened. A static: the MiniCluster runs in this JVM and, without job jars,
     * loads this class from the test's class path.
     */
    static final class HeldAdaptiveGenerate extends AdaptiveGenerate {
        private static final long serialVersionUID = 1L;
        static final List<AdaptiveGenerate> OPENED = new CopyOnWriteArrayList<>();

        HeldAdaptiveGenerate(GenerateSettings settings, List<EndpointSpec> specs) {
            super(settings, specs);
        }

        @Override
        public void open(OpenContext context) {
            OPENED.add(this);
            super.open(context);
        }
    }

    /** Fails the task at its first answer while its attempt number is below {@code failovers}, counting the failures. */
    static final class FailFirstAttempts extends RichMapFunction<VoteInput, VoteInput> {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger FAILED = new AtomicInteger();
        private final int failovers;
        private transient int attempt;

        FailFirstAttempts(int failovers) {
            this.failovers = failovers;
        }

        @Override
        public void open(OpenContext context) {
            attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        }

        @Override
        public VoteInput map(VoteInput value) {
            if (attempt < failovers) {
                FAILED.incrementAndGet();
                throw new IllegalStateException("Forced failover " + (attempt + 1) + " of " + failovers);
            }
            return value;
        }
    }
}
