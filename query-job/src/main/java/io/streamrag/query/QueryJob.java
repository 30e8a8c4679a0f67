package io.streamrag.query;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.Answer;
import io.streamrag.query.functions.AdaptiveGenerate;
import io.streamrag.query.functions.AsyncGenerate;
import io.streamrag.query.functions.AsyncRetrieve;
import io.streamrag.query.functions.CountAnswers;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.functions.OneAnswerPerQuestion;
import io.streamrag.query.functions.ParseQuestion;
import io.streamrag.query.functions.RetrievalToVoteInput;
import io.streamrag.query.functions.RouteRetrieval;
import io.streamrag.query.functions.SelfConsistencyVote;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.pipeline.QuerySinks;
import io.streamrag.query.pipeline.QuerySources;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RawQuestion;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.VoteInput;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The query job: questions from Kafka, hybrid retrieval, N reasoning candidates over the configured endpoints,
 * a self-consistency vote, and exactly one answer per question to Kafka, exactly-once.
 */
public class QueryJob {

    public static final String JOB_NAME = "streamrag-query";

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

    /** Adds the pipeline to {@code env} (and turns checkpointing on if it is off: the sink commits on checkpoints). */
    public DataStream<Answer> build(StreamExecutionEnvironment env) {
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(conf.get(QueryOptions.CHECKPOINT_INTERVAL_MS));
        }
        List<EndpointSpec> endpoints = EndpointSpec.parseAll(conf.get(QueryOptions.ENDPOINTS));
        double maxWeight = EndpointSpec.maxWeight(endpoints);
        long generateTimeout = conf.get(QueryOptions.GENERATE_TIMEOUT_MS);
        int generateCapacity = conf.get(QueryOptions.GENERATE_CAPACITY);
        long bufferTimeout = conf.get(QueryOptions.BUFFER_TIMEOUT_MS);

        SingleOutputStreamOperator<QuestionTask> questions = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "Kafka: questions")
                .uid("questions-source")
                .process(new ParseQuestion(conf))
                .uid("parse-question")
                .name("Parse question")
                .setBufferTimeout(bufferTimeout);

        // Retrieval answers by each question's deadline itself (retrying while OpenSearch is down); the operator
        // timeout is only a safety net beyond the longest deadline.
        SingleOutputStreamOperator<Retrieval> retrieved = AsyncDataStream
                .unorderedWait(questions, new AsyncRetrieve(conf),
                        ParseQuestion.MAX_DEADLINE_MS + conf.get(QueryOptions.RETRIEVE_TIMEOUT_MS),
                        TimeUnit.MILLISECONDS, conf.get(QueryOptions.RETRIEVE_CAPACITY))
                .uid("retrieve")
                .name("Retrieve (kNN + BM25, RRF)")
                .setBufferTimeout(bufferTimeout);

        SingleOutputStreamOperator<Retrieval> withContext = retrieved
                .process(new RouteRetrieval())
                .uid("route-retrieval")
                .name("Route: context / no context")
                .setBufferTimeout(bufferTimeout);

        DataStream<VoteInput> header = withContext
                .map(new RetrievalToVoteInput(maxWeight))
                .uid("retrieval-to-vote")
                .name("Retrieval to vote")
                .setBufferTimeout(bufferTimeout);

        DataStream<VoteInput> candidates;
        if (conf.get(QueryOptions.ADAPTIVE)) {
            candidates = AsyncDataStream
                    .unorderedWait(withContext, new AdaptiveGenerate(conf, endpoints), generateTimeout,
                            TimeUnit.MILLISECONDS, generateCapacity)
                    .uid("generate-adaptive")
                    .name("Generate candidates (adaptive waves)")
                    .setBufferTimeout(bufferTimeout);
        } else {
            // Keyed by question (not rebalanced) so one generate subtask sees all of a question's candidates and can
            // abort the rest once their tally is settled.
            DataStream<CandidateRequest> requests = withContext
                    .flatMap(FanOut.of(endpoints, conf.get(QueryOptions.TEMPERATURE)))
                    .uid("fan-out")
                    .name("Fan out N candidates")
                    .setBufferTimeout(bufferTimeout)
                    .keyBy(c -> c.retrieval.question.questionId, Types.STRING);
            candidates = AsyncDataStream
                    .unorderedWait(requests, new AsyncGenerate(conf, endpoints), generateTimeout,
                            TimeUnit.MILLISECONDS, generateCapacity)
                    .uid("generate")
                    .name("Generate candidate")
                    .setBufferTimeout(bufferTimeout);
        }

        DataStream<Answer> voted = header.union(candidates)
                .keyBy(v -> v.questionId, Types.STRING)
                .process(new SelfConsistencyVote(conf.get(QueryOptions.DEDUP_TTL)))
                .uid("vote")
                .name("Self-consistency vote")
                .setBufferTimeout(bufferTimeout);

        DataStream<Answer> answers = voted
                .union(questions.getSideOutput(ParseQuestion.INVALID), withContext.getSideOutput(RouteRetrieval.NO_CONTEXT))
                .keyBy(OneAnswerPerQuestion.keySelector(), Types.STRING)
                .process(new OneAnswerPerQuestion(conf.get(QueryOptions.DEDUP_TTL)))
                .uid("one-answer-per-question")
                .name("One answer per question")
                .setBufferTimeout(bufferTimeout)
                .map(new CountAnswers())
                .uid("count-answers")
                .name("Count answers");
        answers.sinkTo(sink).uid("answers-sink").name("Kafka: answers");
        return answers;
    }

    /** Builds and runs the job, named {@code pipeline.name} if configured, else {@value #JOB_NAME}. */
    public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
        build(env);
        return env.execute(conf.getOptional(PipelineOptions.NAME).orElse(JOB_NAME));
    }

    /** Parallelism and checkpointing from the query options: the one place every entry point takes them from. */
    public static void configure(StreamExecutionEnvironment env, Configuration conf) {
        int parallelism = conf.get(QueryOptions.PARALLELISM);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        env.enableCheckpointing(conf.get(QueryOptions.CHECKPOINT_INTERVAL_MS));
    }

    /** Entry point of the job jar on a cluster ({@code flink run}, REST jar run, the Kubernetes operator). */
    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args, ConfigKeys.forJob(QueryOptions.class));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        configure(env, conf);
        fromConfiguration(conf).execute(env);
    }
}
