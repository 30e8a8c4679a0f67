package io.streamrag.query;

import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.query.generate.StrategyName;
import io.streamrag.query.vote.StopRule;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.time.Duration;

/**
 * Every option of the query job (shared Kafka/OpenSearch/embedding options live in common). Keys start with
 * {@code query.}; a constant is named like its key. Times are {@code Duration}s ("500 ms", "2 min"; a bare number is
 * milliseconds, so values of the former {@code *-ms} keys, still accepted, keep their meaning).
 */
public final class QueryOptions {

    public static final ConfigOption<Integer> N = ConfigOptions.key("query.n").intType().defaultValue(8)
            .withDescription("Default number of reasoning candidates per question; from 1 to query.max-n.");
    public static final ConfigOption<Integer> MAX_N = ConfigOptions.key("query.max-n").intType().defaultValue(32)
            .withDescription("Largest n a question may ask for; at least 1.");
    public static final ConfigOption<Integer> K = ConfigOptions.key("query.k").intType().defaultValue(5)
            .withDescription("Default number of retrieved chunks per question; from 1 to query.max-k.");
    public static final ConfigOption<Integer> MAX_K = ConfigOptions.key("query.max-k").intType().defaultValue(50)
            .withDescription("Largest k a question may ask for; from 1 to 10000 (OpenSearch returns at most 10,000 hits "
                    + "a search: the k-NN query's k and index.max_result_window).");
    public static final ConfigOption<MemorySize> MAX_QUESTION_BYTES = ConfigOptions.key("query.max-question-bytes")
            .memoryType().defaultValue(MemorySize.parse("16kb"))
            .withDescription("Longest question text (UTF-8, leading and trailing whitespace not counted); a longer one is "
                    + "FAILED at once ('invalid question: text is N bytes long'). A question is embedded, waits in its "
                    + "tenant's queue and is copied into each of its n prompts, so a megabyte one held the shared embedding "
                    + "pool for about a second, sent n megabytes to the model endpoints and filled state while it waited.");
    public static final ConfigOption<StrategyName> STRATEGY = ConfigOptions.key("query.strategy")
            .enumType(StrategyName.class).defaultValue(StrategyName.RAG)
            .withDescription("Default strategy of questions that name none: " + StrategyName.choices() + ".");
    public static final ConfigOption<Duration> DEADLINE = ConfigOptions.key("query.deadline").durationType()
            .defaultValue(Duration.ofSeconds(60)).withDeprecatedKeys("query.deadline-ms")
            .withDescription("Default time from arrival (the question's askedAt, else its Kafka record "
                    + "timestamp) to answer; every stage sees what is left, the vote answers with what it has then. From "
                    + "1 ms to 1 h, the longest a question may ask for.");

    public static final ConfigOption<String> ENDPOINTS = ConfigOptions.key("query.endpoints").stringType()
            .defaultValue("local=openai,http://127.0.0.1:8090/v1,extractive")
            .withDescription("';'-separated name=provider,baseUrl,model[,maxConcurrency[,weight[,timeoutMs[,apiKeyEnv"
                    + "[,maxChoices]]]]]; provider openai (any OpenAI-compatible server), ollama or watsonx "
                    + "(baseUrl?project_id=...); maxChoices > 1 (openai only): the endpoint takes OpenAI's n, and a "
                    + "question's candidates on it share one request. Each name once; maxConcurrency, timeoutMs and "
                    + "maxChoices at least 1, weight above 0.");
    public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("query.temperature").doubleType()
            .defaultValue(0.7).withDescription("Base sampling temperature; candidates spread around it.");
    public static final ConfigOption<Integer> MAX_TOKENS = ConfigOptions.key("query.max-tokens").intType()
            .defaultValue(256).withDescription("max_tokens per model call; at least 1.");

    public static final ConfigOption<Integer> RETRY_MAX_RETRIES = ConfigOptions.key("query.retry.max-retries").intType()
            .defaultValue(2).withDescription("Retries per model call after the first attempt (429, 5xx, timeouts).");
    public static final ConfigOption<Duration> RETRY_BACKOFF = ConfigOptions.key("query.retry.backoff").durationType()
            .defaultValue(Duration.ofMillis(200)).withDeprecatedKeys("query.retry.backoff-ms")
            .withDescription("Base of the exponential backoff (with jitter).");
    public static final ConfigOption<Duration> RETRY_MAX_BACKOFF = ConfigOptions.key("query.retry.max-backoff")
            .durationType().defaultValue(Duration.ofSeconds(5)).withDeprecatedKeys("query.retry.max-backoff-ms")
            .withDescription("Cap of one backoff; a longer Retry-After is still honoured within the deadline.");

    public static final ConfigOption<Duration> RETRIEVE_TIMEOUT = ConfigOptions.key("query.retrieve.timeout")
            .durationType().defaultValue(Duration.ofSeconds(30)).withDeprecatedKeys("query.retrieve.timeout-ms")
            .withDescription("Longest one retrieval attempt may take; failed attempts are "
                    + "retried with backoff (query.retry.*) until the question's deadline, then it FAILS with reason "
                    + "'retrieval unavailable'. At least 1 ms.");
    public static final ConfigOption<Double> TENANT_CANDIDATE_RATE = ConfigOptions.key("query.tenant.candidate-rate")
            .doubleType().defaultValue(0.0)
            .withDescription("Candidates per second each tenant's questions may start, across the job (a question costs "
                    + "its n, its largest n under adaptive sampling), so one tenant's flood of questions waits in its own "
                    + "queue instead of filling the retrieval and generation capacity every tenant shares. A question "
                    + "that waits past its deadline is FAILED ('tenant over its rate'). 0 (the default): no limit.");
    public static final ConfigOption<Integer> TENANT_BURST = ConfigOptions.key("query.tenant.burst")
            .intType().defaultValue(64)
            .withDescription("Candidates a tenant may start at once after a quiet spell (its bucket; a question with a "
                    + "larger n waits for a full bucket). Only with query.tenant.candidate-rate.");
    public static final ConfigOption<Integer> TENANT_MAX_WAITING = ConfigOptions.key("query.tenant.max-waiting")
            .intType().defaultValue(1000)
            .withDescription("Questions of one tenant that may wait for its rate; more are FAILED at once ('tenant over "
                    + "its rate'), which bounds the state one tenant can fill. Only with query.tenant.candidate-rate.");
    public static final ConfigOption<MemorySize> TENANT_MAX_WAITING_BYTES = ConfigOptions.key("query.tenant.max-waiting-bytes")
            .memoryType().defaultValue(MemorySize.ofMebiBytes(4))
            .withDescription("What one tenant's waiting questions may hold together in state (their text and ids, in UTF-8 "
                    + "bytes); a question that would go past it is FAILED like one past query.tenant.max-waiting. Bounds the "
                    + "TaskManager memory (heap state) or disk (RocksDB) a tenant's flood of long questions can take. Only "
                    + "with query.tenant.candidate-rate.");
    public static final ConfigOption<Integer> TENANT_MAX_WAITING_TOTAL = ConfigOptions.key("query.tenant.max-waiting-total")
            .intType().defaultValue(4000)
            .withDescription("Questions of all tenants that may wait for their rates together, per subtask of the admission "
                    + "operator; past it a question that would wait is FAILED like one past query.tenant.max-waiting. Tenant "
                    + "names are whatever clients send: without it, each made-up tenant could fill a queue of its own. The "
                    + "default, 4 x query.tenant.max-waiting, holds four tenants' full queues; at least "
                    + "query.tenant.max-waiting. Only with query.tenant.candidate-rate.");
    public static final ConfigOption<MemorySize> TENANT_MAX_WAITING_BYTES_TOTAL = ConfigOptions.key("query.tenant.max-waiting-bytes-total")
            .memoryType().defaultValue(MemorySize.ofMebiBytes(16))
            .withDescription("What all tenants' waiting questions may hold together in state (counted as for "
                    + "query.tenant.max-waiting-bytes), per subtask of the admission operator; a question that would go past "
                    + "it is FAILED like one past query.tenant.max-waiting. The default, 4 x query.tenant.max-waiting-bytes, "
                    + "bounds a subtask to four tenants' full queues, where K made-up tenants held K x 4 MiB. At least "
                    + "query.tenant.max-waiting-bytes. Only with query.tenant.candidate-rate.");
    public static final ConfigOption<Integer> RETRIEVE_CAPACITY = ConfigOptions.key("query.retrieve.capacity")
            .intType().defaultValue(16).withDescription("In-flight retrievals per subtask; at least 1.");
    public static final ConfigOption<Integer> RETRIEVE_THREADS = ConfigOptions.key("query.retrieve.threads")
            .intType().defaultValue(2).withDescription("Threads for blocking embedding and search calls per subtask; at least 1.");
    public static final ConfigOption<Integer> RETRIEVE_POOL_SIZE = ConfigOptions.key("query.retrieve.pool-size")
            .intType().defaultValue(20).withDescription("Hits fetched from each of kNN and BM25 before fusion (at least the "
                    + "question's k); from 0 (just the question's k) to 10000.");
    public static final ConfigOption<Integer> RETRIEVE_RRF_K = ConfigOptions.key("query.retrieve.rrf-k").intType()
            .defaultValue(60).withDescription("Reciprocal rank fusion constant: a hit at rank r (from 1) scores 1 / (rrf-k + r). "
                    + "From 0 to 1000000.");

    public static final ConfigOption<Integer> GENERATE_CAPACITY = ConfigOptions.key("query.generate.capacity")
            .intType().defaultValue(64).withDescription("In-flight candidates (or adaptive questions) per subtask; at least 1.");
    public static final ConfigOption<Duration> GENERATE_TIMEOUT = ConfigOptions.key("query.generate.timeout")
            .durationType().defaultValue(Duration.ofMinutes(3)).withDeprecatedKeys("query.generate.timeout-ms")
            .withDescription("Safety net only: candidates end at their question's deadline by themselves; one still out "
                    + "this long after the longest deadline a question may ask for (1 h) becomes TIMEOUT, never a failure of "
                    + "the job.");

    public static final ConfigOption<Integer> ENDPOINT_QUEUE_CAPACITY = ConfigOptions.key("query.endpoint.queue-capacity")
            .intType().defaultValue(16).withDescription("Candidates an endpoint admits beyond its maxConcurrency request slots "
                    + "(per TaskManager; they wait for a slot or sit in a retry backoff, which holds no slot); beyond it "
                    + "the endpoint rejects and candidates go to another endpoint or wait. At least 0.");
    public static final ConfigOption<Double> BREAKER_FAILURE_RATE = ConfigOptions.key("query.breaker.failure-rate")
            .doubleType().defaultValue(50.0).withDescription("Failure percentage (5xx, timeouts, connection errors, and "
                    + "401/403/404 of an endpoint set up wrong; not 429, nor another 4xx, which the request caused) over "
                    + "the sliding window that opens an endpoint's circuit breaker; above 0, at most 100.");
    public static final ConfigOption<Integer> BREAKER_WINDOW = ConfigOptions.key("query.breaker.window").intType()
            .defaultValue(50).withDescription("Calls in the breaker's sliding window; at least 1.");
    public static final ConfigOption<Integer> BREAKER_MINIMUM_CALLS = ConfigOptions.key("query.breaker.minimum-calls")
            .intType().defaultValue(20).withDescription("Calls the breaker needs before it may open; at least 1.");
    public static final ConfigOption<Duration> BREAKER_OPEN_DURATION = ConfigOptions.key("query.breaker.open-duration")
            .durationType().defaultValue(Duration.ofSeconds(5))
            .withDescription("How long an open breaker rejects calls before it lets a few probes through (half-open); "
                    + "at least 1 ms.");
    public static final ConfigOption<Integer> BREAKER_HALF_OPEN_CALLS = ConfigOptions.key("query.breaker.half-open-calls")
            .intType().defaultValue(3).withDescription("Probe calls in the half-open state; at least 1.");

    public static final ConfigOption<Boolean> HEDGE_ENABLED = ConfigOptions.key("query.hedge.enabled").booleanType()
            .defaultValue(true).withDescription("Start a spare call for a candidate whose call runs past the hedge delay; "
                    + "the first answer wins and the other call is aborted.");
    public static final ConfigOption<Duration> HEDGE_DELAY = ConfigOptions.key("query.hedge.delay").durationType()
            .noDefaultValue().withDescription("Fixed hedge delay; unset = the endpoint's observed latency percentile "
                    + "(query.hedge.percentile, at most query.hedge.median-factor x its median; after 20 calls).");
    public static final ConfigOption<Double> HEDGE_PERCENTILE = ConfigOptions.key("query.hedge.percentile")
            .doubleType().defaultValue(95.0).withDescription("Latency percentile of the endpoint used as hedge delay "
                    + "(capped by query.hedge.median-factor).");
    public static final ConfigOption<Double> HEDGE_MEDIAN_FACTOR = ConfigOptions.key("query.hedge.median-factor")
            .doubleType().defaultValue(2.0).withDescription("Caps the observed hedge delay at this multiple of the "
                    + "endpoint's median latency: when more than 5 % of calls are slow, the percentile is itself a slow "
                    + "call and would hedge too late. 0 = the percentile alone.");
    public static final ConfigOption<Double> HEDGE_MAX_EXTRA = ConfigOptions.key("query.hedge.max-extra").doubleType()
            .defaultValue(0.2).withDescription("Spare calls per question at most ceil(n x this); 0 disables hedging.");

    public static final ConfigOption<Double> HEDGE_SPARE_MAX_EXTRA_CALLS = ConfigOptions
            .key("query.hedge.spare.max-extra-calls").doubleType().defaultValue(0.15)
            .withDescription("Up-front spares: a candidate may get a second call from its start when stragglers (calls "
                    + "slower than the hedge delay, or median-factor x the median) are frequent enough that questions "
                    + "would miss their vote's quorum by the fast calls; spares are started only while the extra calls "
                    + "(spares and hedges) stay within this share of the primary calls (per generate subtask). 0 = no "
                    + "spares; off with hedging.");
    public static final ConfigOption<Double> HEDGE_SPARE_TARGET_MISS = ConfigOptions
            .key("query.hedge.spare.target-miss").doubleType().defaultValue(0.002)
            .withDescription("Up-front spares: each question gets the fewest spares that bring its chance of fewer than a "
                    + "quorum of fast candidates (binomial over the endpoints' observed straggler share) to at most this "
                    + "(within query.hedge.spare.max-extra-calls). A healthy endpoint stays under it without spares.");

    public static final ConfigOption<Boolean> ADAPTIVE = ConfigOptions.key("query.adaptive").booleanType()
            .defaultValue(false).withDescription("Ask for candidates in waves and stop once the vote is settled.");
    public static final ConfigOption<Integer> ADAPTIVE_FIRST_WAVE = ConfigOptions.key("query.adaptive.first-wave")
            .intType().defaultValue(3).withDescription("Candidates in the first wave.");
    public static final ConfigOption<Integer> ADAPTIVE_WAVE_SIZE = ConfigOptions.key("query.adaptive.wave-size")
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

    public static final ConfigOption<Duration> DEDUP_TTL = ConfigOptions.key("query.dedup.ttl").durationType()
            .defaultValue(Duration.ofDays(7)).withDeprecatedKeys("query.vote.decided-ttl-ms")
            .withDescription("How long an answered questionId is remembered (keyed state TTL, kept in checkpoints and "
                    + "savepoints, counted in wall-clock time across stops): late candidates and re-sent questions with that "
                    + "id get no second answer meanwhile. At least 1 ms.");

    public static final ConfigOption<String> SOURCE_GROUP_ID = ConfigOptions.key("query.source.group-id").stringType()
            .defaultValue("streamrag-query").withDescription("Kafka consumer group of the questions source.");
    public static final ConfigOption<String> SINK_TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("query.sink.transactional-id-prefix")
            .stringType().defaultValue("streamrag-query").withDescription("Transactional id prefix of the answers sink.");
    public static final ConfigOption<Duration> SINK_TRANSACTION_TIMEOUT = ConfigOptions.key("query.sink.transaction-timeout")
            .durationType().defaultValue(Duration.ofMinutes(15)).withDeprecatedKeys("query.sink.transaction-timeout-ms")
            .withDescription("The sink's transaction.timeout.ms; the broker caps it at 15 min. It must outlast "
                    + "(tolerable failed checkpoints + 2) x checkpoint timeout + (tolerable failed checkpoints + 1) x interval, the longest a "
                    + "transaction can wait for its commit: the job refuses to start otherwise.");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("query.checkpoint-interval")
            .durationType().defaultValue(Duration.ofSeconds(5)).withDeprecatedKeys("query.checkpoint-interval-ms")
            .withDescription("Checkpoint interval set by QueryJob.configure; answers are visible after each checkpoint. Not set: "
                    + "Flink's execution.checkpointing.interval when set, else 5 s.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("query.parallelism").intType().defaultValue(-1)
            .withDescription("Parallelism of the job, set by QueryJob.configure; -1 keeps the cluster's default (parallelism.default).");

    public static final ConfigOption<Duration> BUFFER_TIMEOUT = ConfigOptions.key("query.buffer-timeout").durationType()
            .defaultValue(Duration.ofMillis(5)).withDeprecatedKeys("query.buffer-timeout-ms")
            .withDescription("Network buffer flush interval of the job's operators, set by QueryJob.configure; questions are "
                    + "few and latency-sensitive, so flush sooner than Flink's 100 ms default.");

    public static final ConfigOption<String> PLAN = ConfigOptions.key("query.plan").stringType().noDefaultValue()
            .withDescription("Budget plan file written by 'bin/rag plan' (JSON). A question with a budget (its own or the "
                    + "default below) gets the strategy, k and n the plan picks for it, among the settings agreeing with "
                    + "any of strategy, k and n the question sets itself; the answer's plan field reports the choice. "
                    + "Without a plan, budgets are ignored.");
    public static final ConfigOption<Long> PLAN_DEFAULT_BUDGET_TOKENS = ConfigOptions.key("query.plan.default-budget.tokens")
            .longType().noDefaultValue()
            .withDescription("Token budget (in + out, all calls) for questions that carry no budget; unset: such questions "
                    + "keep the defaults, as without a plan.");
    public static final ConfigOption<Duration> PLAN_DEFAULT_BUDGET_LATENCY = ConfigOptions.key("query.plan.default-budget.latency")
            .durationType().noDefaultValue()
            .withDescription("Latency budget (the plan's swept p50) for questions that carry no budget; unset: none.");

    private QueryOptions() {}

    /** Each tenant's rate of candidates, from {@code query.tenant.*} (checked: a bad value names its key). */
    public static TenantRate tenantRate(Configuration conf) {
        return TenantRate.from(conf, TENANT_CANDIDATE_RATE, TENANT_BURST, TENANT_MAX_WAITING, TENANT_MAX_WAITING_BYTES,
                TENANT_MAX_WAITING_TOTAL, TENANT_MAX_WAITING_BYTES_TOTAL);
    }
}
