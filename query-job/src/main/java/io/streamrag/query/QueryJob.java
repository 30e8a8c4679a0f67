package io.streamrag.query;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.kafka.ExactlyOnceCheckpoints;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Answer;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.query.functions.AdaptiveGenerate;
import io.streamrag.query.functions.AsyncGenerate;
import io.streamrag.query.functions.AsyncRetrieve;
import io.streamrag.query.functions.CountAnswers;
import io.streamrag.query.functions.DropReSentQuestions;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.functions.OneAnswerPerQuestion;
import io.streamrag.query.functions.ParseQuestion;
import io.streamrag.query.functions.RetrievalToVoteInput;
import io.streamrag.query.functions.RouteRetrieval;
import io.streamrag.query.functions.SelfConsistencyVote;
import io.streamrag.query.functions.TenantAdmission;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.GenerateSettings;
import io.streamrag.query.pipeline.QuerySinks;
import io.streamrag.query.pipeline.QuerySources;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.QuestionSettings;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RawQuestion;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;
import io.streamrag.query.retrieve.RetrieveSettings;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.async.AsyncFunction;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The query job: questions from Kafka, hybrid retrieval, N reasoning candidates over the configured endpoints,
 * a self-consistency vote, and exactly one answer per question to Kafka, exactly-once.
 */
public class QueryJob {

    public static final String JOB_NAME = "streamrag-query";
    /** The checkpoint timeout {@link #configure} sets when {@code execution.checkpointing.timeout} is not set. */
    public static final Duration CHECKPOINT_TIMEOUT = Duration.ofMinutes(3);

    private final Source<RawQuestion, ?, ?> source;
    private final Sink<Answer> sink;
    private final Configuration conf;

    public QueryJob(Source<RawQuestion, ?, ?> source, Sink<Answer> sink, Configuration conf) {
        this.source = source;
        this.sink = sink;
        this.conf = conf;
    }

    /** The job with its Kafka source and exactly-once Kafka sink built from {@code conf}. */
    public static QueryJob fromConfiguration(Configuration conf) {
        OpenSearchClients.settings(conf);   // a user without a password (or unreadable TLS files) fails here, at start
        return new QueryJob(QuerySources.kafka(conf), QuerySinks.kafka(conf), conf);
    }

    /** Adds the pipeline to {@code env}, configured by {@link #configure} first; returns the stream of answers. */
    public DataStream<Answer> build(StreamExecutionEnvironment env) {
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            throw new IllegalStateException("Checkpointing is off: call QueryJob.configure(env, conf) first "
                    + "(the exactly-once answers sink commits on checkpoints)");
        }
        List<EndpointSpec> endpoints = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        // Checked here, not where they are used: Flink's async operator takes its capacity, and the state TTL its
        // length, on the TaskManager, where a bad value failed the job at every restart.
        int retrieveCapacity = OptionChecks.atLeast(conf, QueryOptions.RETRIEVE_CAPACITY, 1);
        int generateCapacity = OptionChecks.atLeast(conf, QueryOptions.GENERATE_CAPACITY, 1);
        Duration dedupTtl = OptionChecks.atLeast(conf, QueryOptions.DEDUP_TTL, Duration.ofMillis(1));

        SingleOutputStreamOperator<QuestionTask> questions = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "Kafka: questions")
                .uid("questions-source")
                .process(new ParseQuestion(QuestionSettings.from(conf)))
                .uid("parse-question")
                .name("Parse question");

        // Only the first copy of a question sent within the dedup TTL goes on, valid or not: a re-send costs no
        // retrieval or calls, and the first copy's is the one answer.
        SingleOutputStreamOperator<QuestionTask> firstCopies = questions
                .keyBy(DropReSentQuestions.keySelector(), Types.STRING)
                .process(new DropReSentQuestions(dedupTtl))
                .uid("drop-re-sent")
                .name("Drop re-sent questions");

        // Each tenant's rate, when set: one tenant's flood waits in its own queue, not in the shared capacity below.
        // In its own operator, which counts all tenants' waiting questions again after a restore (their ceiling).
        TenantRate tenantRate = QueryOptions.tenantRate(conf);
        DataStream<QuestionTask> admitted = firstCopies;
        List<DataStream<Answer>> refused = new ArrayList<>();
        refused.add(firstCopies.getSideOutput(DropReSentQuestions.REJECTED));
        if (tenantRate.enabled()) {
            SingleOutputStreamOperator<QuestionTask> admission = firstCopies
                    .keyBy(q -> q.tenant == null ? "" : q.tenant, Types.STRING)
                    .transform("Tenant admission (candidates/s per tenant)", TypeInformation.of(QuestionTask.class),
                            new TenantAdmission(tenantRate).operator())
                    .uid("tenant-admission")
                    .name("Tenant admission (candidates/s per tenant)");
            // Spread again: forwarded, all of a tenant's admitted questions would share the one subtask its name hashes to.
            admitted = admission.rebalance();
            refused.add(admission.getSideOutput(TenantAdmission.REFUSED));
        }

        // Retrieval answers by each question's deadline itself (retrying while OpenSearch is down); the operator
        // timeout is only a safety net beyond the longest deadline.
        SingleOutputStreamOperator<Retrieval> retrieved = AsyncDataStream
                .unorderedWait(admitted, new AsyncRetrieve(RetrieveSettings.from(conf)),
                        ParseQuestion.MAX_DEADLINE_MS + conf.get(QueryOptions.RETRIEVE_TIMEOUT).toMillis(),
                        TimeUnit.MILLISECONDS, retrieveCapacity)
                .uid("retrieve")
                .name("Retrieve (kNN + BM25, RRF)");

        SingleOutputStreamOperator<Retrieval> withContext = retrieved
                .process(new RouteRetrieval())
                .uid("route-retrieval")
                .name("Route: context / no context");

        DataStream<VoteInput> header = withContext
                .map(new RetrievalToVoteInput(EndpointSpec.maxWeight(endpoints)))
                .uid("retrieval-to-vote")
                .name("Retrieval to vote");

        DataStream<VoteInput> candidates;
        if (conf.get(QueryOptions.ADAPTIVE)) {
            candidates = generate(withContext, new AdaptiveGenerate(GenerateSettings.from(conf), endpoints), generateCapacity)
                    .uid("generate-adaptive")
                    .name("Generate candidates (adaptive waves)");
        } else {
            // Keyed by question (not rebalanced) so one generate subtask sees all of a question's candidates and can
            // abort the rest once their tally is settled.
            DataStream<CandidateRequest> requests = withContext
                    .flatMap(FanOut.of(endpoints, conf.get(QueryOptions.TEMPERATURE)))
                    .uid("fan-out")
                    .name("Fan out N candidates")
                    .keyBy(c -> c.retrieval.question.key(), Types.STRING);
            candidates = generate(requests, new AsyncGenerate(GenerateSettings.from(conf), endpoints), generateCapacity)
                    .uid("generate")
                    .name("Generate candidate");
        }

        DataStream<Answer> voted = header.union(candidates)
                .keyBy(VoteInput::key, Types.STRING)
                .process(new SelfConsistencyVote(dedupTtl))
                .uid("vote")
                .name("Self-consistency vote");

        refused.add(withContext.getSideOutput(RouteRetrieval.NO_CONTEXT));
        DataStream<Answer> answers = voted
                .union(unionable(refused))
                .keyBy(OneAnswerPerQuestion.keySelector(), Types.STRING)
                .process(new OneAnswerPerQuestion(dedupTtl))
                .uid("one-answer-per-question")
                .name("One answer per question")
                .map(new CountAnswers())
                .uid("count-answers")
                .name("Count answers");
        answers.sinkTo(sink).uid("answers-sink").name("Kafka: answers");
        return answers;
    }

    /**
     * The generate step, adaptive or fixed: async, bounded by {@code query.generate.*}. Candidates end by their
     * question's deadline themselves; the operator timeout is only a safety net beyond the longest deadline, as for
     * retrieval (below it, a question allowed 10 minutes lost its candidates at the net's 3).
     */
    private <T> SingleOutputStreamOperator<VoteInput> generate(DataStream<T> in, AsyncFunction<T, VoteInput> generate,
                                                                int capacity) {
        return AsyncDataStream.unorderedWait(in, generate,
                ParseQuestion.MAX_DEADLINE_MS + conf.get(QueryOptions.GENERATE_TIMEOUT).toMillis(),
                TimeUnit.MILLISECONDS, capacity);
    }

    /** Builds and runs the job, named {@code pipeline.name} if configured, else {@value #JOB_NAME}. */
    public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
        build(env);
        return env.execute(conf.getOptional(PipelineOptions.NAME).orElse(JOB_NAME));
    }

    /**
     * Parallelism, checkpointing and buffer timeout from the query options: the one place every entry point (main,
     * tests, benchmarks) takes them from, called before {@link #build}.
     */
    public static void configure(StreamExecutionEnvironment env, Configuration conf) {
        int parallelism = conf.get(QueryOptions.PARALLELISM);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        ExactlyOnceCheckpoints.enable(env, conf, QueryOptions.CHECKPOINT_INTERVAL, QueryOptions.CHECKPOINT_INTERVAL.defaultValue());
        // The job's state is small: its checkpoints take seconds. Flink's 10 min default would let a sink transaction
        // wait 20 min for its commit, past the broker's 15 min cap.
        if (env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTING_TIMEOUT).isEmpty()) {
            env.getCheckpointConfig().setCheckpointTimeout(CHECKPOINT_TIMEOUT.toMillis());
        }
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), QueryOptions.SINK_TRANSACTION_TIMEOUT, conf,
                "Lower execution.checkpointing.timeout or execution.checkpointing.tolerable-failed-checkpoints");
        // Questions are few and latency-sensitive: every operator flushes its network buffers sooner than Flink's 100 ms.
        env.setBufferTimeout(conf.get(QueryOptions.BUFFER_TIMEOUT).toMillis());
    }

    /** Entry point of the job jar on a cluster ({@code flink run}, REST jar run, the Kubernetes operator). */
    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args, ConfigKeys.forJob(QueryOptions.class));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        configure(env, conf);
        fromConfiguration(conf).execute(env);
    }

    @SuppressWarnings("unchecked")
    private static DataStream<Answer>[] unionable(List<DataStream<Answer>> streams) {
        return streams.toArray(new DataStream[0]);
    }
}
