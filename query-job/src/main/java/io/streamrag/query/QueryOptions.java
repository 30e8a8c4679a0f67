package io.streamrag.query;

import io.streamrag.query.vote.StopRule;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Every option of the query job (shared Kafka/OpenSearch/embedding options live in common). */
public final class QueryOptions {

    public static final ConfigOption<Integer> N = ConfigOptions.key("query.n").intType().defaultValue(8)
            .withDescription("Default number of reasoning candidates per question.");
    public static final ConfigOption<Integer> MAX_N = ConfigOptions.key("query.max-n").intType().defaultValue(32)
            .withDescription("Largest n a question may ask for.");
    public static final ConfigOption<Integer> K = ConfigOptions.key("query.k").intType().defaultValue(5)
            .withDescription("Default number of retrieved chunks per question.");
    public static final ConfigOption<Integer> MAX_K = ConfigOptions.key("query.max-k").intType().defaultValue(50)
            .withDescription("Largest k a question may ask for.");
    public static final ConfigOption<String> STRATEGY = ConfigOptions.key("query.strategy").stringType()
            .defaultValue("RAG").withDescription("Default strategy: RAG, DRAG or ITERDRAG.");
    public static final ConfigOption<Long> DEADLINE_MS = ConfigOptions.key("query.deadline-ms").longType()
            .defaultValue(60_000L).withDescription("Default time from arrival to answer; the vote answers with what it has then.");

    public static final ConfigOption<String> ENDPOINTS = ConfigOptions.key("query.endpoints").stringType()
            .defaultValue("local=openai,http://127.0.0.1:8090/v1,extractive")
            .withDescription("';'-separated name=provider,baseUrl,model[,maxConcurrency[,weight[,timeoutMs[,apiKeyEnv"
                    + "[,maxChoices]]]]]; provider openai (any OpenAI-compatible server), ollama or watsonx "
                    + "(baseUrl?project_id=...); maxChoices > 1 (openai only): the endpoint takes OpenAI's n, and a "
                    + "question's candidates on it share one request.");
    public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("query.temperature").doubleType()
            .defaultValue(0.7).withDescription("Base sampling temperature; candidates spread around it.");
    public static final ConfigOption<Integer> MAX_TOKENS = ConfigOptions.key("query.max-tokens").intType()
            .defaultValue(256).withDescription("max_tokens per model call.");

    public static final ConfigOption<Integer> MAX_RETRIES = ConfigOptions.key("query.retry.max-retries").intType()
            .defaultValue(2).withDescription("Retries per model call after the first attempt (429, 5xx, timeouts).");
    public static final ConfigOption<Long> BACKOFF_MS = ConfigOptions.key("query.retry.backoff-ms").longType()
            .defaultValue(200L).withDescription("Base of the exponential backoff (with jitter).");
    public static final ConfigOption<Long> MAX_BACKOFF_MS = ConfigOptions.key("query.retry.max-backoff-ms").longType()
            .defaultValue(5_000L).withDescription("Cap of one backoff; a longer Retry-After is still honoured within the deadline.");

    public static final ConfigOption<Long> RETRIEVE_TIMEOUT_MS = ConfigOptions.key("query.retrieve.timeout-ms")
            .longType().defaultValue(30_000L).withDescription("Async timeout of retrieval.");
    public static final ConfigOption<Integer> RETRIEVE_CAPACITY = ConfigOptions.key("query.retrieve.capacity")
            .intType().defaultValue(16).withDescription("In-flight retrievals per subtask.");
    public static final ConfigOption<Integer> RETRIEVE_THREADS = ConfigOptions.key("query.retrieve.threads")
            .intType().defaultValue(2).withDescription("Threads for blocking embedding and search calls per subtask.");
    public static final ConfigOption<Integer> RETRIEVE_POOL = ConfigOptions.key("query.retrieve.pool-size")
            .intType().defaultValue(20).withDescription("Hits fetched from each of kNN and BM25 before fusion.");
    public static final ConfigOption<Integer> RRF_K = ConfigOptions.key("query.retrieve.rrf-k").intType()
            .defaultValue(60).withDescription("Reciprocal rank fusion constant.");

    public static final ConfigOption<Integer> GENERATE_CAPACITY = ConfigOptions.key("query.generate.capacity")
            .intType().defaultValue(64).withDescription("In-flight candidates (or adaptive questions) per subtask.");
    public static final ConfigOption<Long> GENERATE_TIMEOUT_MS = ConfigOptions.key("query.generate.timeout-ms")
            .longType().defaultValue(180_000L)
            .withDescription("Async timeout of one candidate; it then becomes a TIMEOUT candidate, never a failure.");

    public static final ConfigOption<Boolean> ADAPTIVE = ConfigOptions.key("query.adaptive").booleanType()
            .defaultValue(false).withDescription("Ask for candidates in waves and stop once the vote is settled.");
    public static final ConfigOption<Integer> ADAPTIVE_FIRST_WAVE = ConfigOptions.key("query.adaptive.first-wave")
            .intType().defaultValue(3).withDescription("Candidates in the first wave.");
    public static final ConfigOption<Integer> ADAPTIVE_WAVE = ConfigOptions.key("query.adaptive.wave-size")
            .intType().defaultValue(2).withDescription("Candidates in each later wave.");
    public static final ConfigOption<Double> ADAPTIVE_THRESHOLD = ConfigOptions.key("query.adaptive.threshold")
            .doubleType().defaultValue(0.95)
            .withDescription("BETA rule: stop when P(leader beats runner-up) under a Beta(1+a,1+b) posterior reaches this.");
    public static final ConfigOption<StopRule> ADAPTIVE_STOP_RULE = ConfigOptions.key("query.adaptive.stop-rule")
            .enumType(StopRule.class).defaultValue(StopRule.LEAD)
            .withDescription("When adaptive sampling stops: LEAD (leader ahead of the runner-up by query.adaptive.lead "
                    + "votes, a sequential probability ratio test) or BETA (posterior threshold, the earlier rule).");
    public static final ConfigOption<Integer> ADAPTIVE_LEAD = ConfigOptions.key("query.adaptive.lead").intType()
            .defaultValue(3).withDescription("LEAD rule: votes the leader must be ahead of the runner-up by.");

    public static final ConfigOption<String> DRAG_DEMONSTRATIONS = ConfigOptions.key("query.drag.demonstrations")
            .stringType().noDefaultValue()
            .withDescription("JSON file of DRAG demonstrations; default the bundled drag-demonstrations.json.");
    public static final ConfigOption<Integer> DRAG_NUM_DEMONSTRATIONS = ConfigOptions.key("query.drag.num-demonstrations")
            .intType().defaultValue(2).withDescription("Demonstrations per DRAG prompt.");
    public static final ConfigOption<Integer> ITERDRAG_MAX_FOLLOW_UPS = ConfigOptions.key("query.iterdrag.max-follow-ups")
            .intType().defaultValue(2).withDescription("Follow-up questions (iterations) per ITERDRAG candidate.");

    public static final ConfigOption<Long> DECIDED_TTL_MS = ConfigOptions.key("query.vote.decided-ttl-ms").longType()
            .defaultValue(600_000L).withDescription("How long an answered question id is remembered: late candidates and re-sent "
                    + "questions with that id are dropped meanwhile.");

    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("query.source.group-id").stringType()
            .defaultValue("streamrag-query").withDescription("Kafka consumer group of the questions source.");
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("query.sink.transactional-id-prefix")
            .stringType().defaultValue("streamrag-query").withDescription("Transactional id prefix of the answers sink.");
    public static final ConfigOption<Long> TRANSACTION_TIMEOUT_MS = ConfigOptions.key("query.sink.transaction-timeout-ms")
            .longType().defaultValue(900_000L).withDescription("transaction.timeout.ms; the broker caps it at 15 min.");
    public static final ConfigOption<Long> CHECKPOINT_INTERVAL_MS = ConfigOptions.key("query.checkpoint-interval-ms")
            .longType().defaultValue(5_000L)
            .withDescription("Checkpoint interval if the environment has none; answers are visible after each checkpoint.");

    public static final ConfigOption<Long> BUFFER_TIMEOUT_MS = ConfigOptions.key("query.buffer-timeout-ms").longType()
            .defaultValue(5L).withDescription("Network buffer flush interval of the job's operators; questions are few and "
                    + "latency-sensitive, so flush sooner than Flink's 100 ms default.");

    private QueryOptions() {}
}
