package io.streamrag.query.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamrag.common.json.Json;
import io.streamrag.common.records.Identity;
import io.streamrag.common.records.Question;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.generate.StrategyName;
import io.streamrag.query.metrics.QuestionMetrics;
import io.streamrag.query.records.QuestionSettings;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.RawQuestion;
import io.streamrag.query.vote.FailureReason;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.util.Locale;

/**
 * Parses and validates question events; anything invalid becomes a task with a {@link QuestionTask#rejection}, which
 * the re-send guard ({@link DropReSentQuestions}) makes a FAILED answer, never a crash.
 * A question's clock starts at its arrival: {@code askedAt} when given, else the Kafka record timestamp (never later
 * than now), so time spent waiting in Kafka under backpressure counts against its deadline. With a budget plan
 * ({@code query.plan}) a question's budget picks its strategy, k and n.
 */
public class ParseQuestion extends ProcessFunction<RawQuestion, QuestionTask> {
    private static final long serialVersionUID = 1L;

    public static final long MAX_DEADLINE_MS = 3_600_000L;

    private final QuestionSettings settings;
    private transient QuestionMetrics metrics;

    public ParseQuestion(QuestionSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext context) {
        metrics = new QuestionMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(RawQuestion raw, Context ctx, Collector<QuestionTask> out) {
        metrics.get(QuestionMetrics.QUESTIONS).inc();
        long now = System.currentTimeMillis();
        QuestionTask q = new QuestionTask();
        q.receivedAtMs = raw.timestamp > 0 ? Math.min(raw.timestamp, now) : now;
        q.questionId = raw.key;
        String error;
        try {
            error = parse(raw, q);
        } catch (java.io.IOException e) {
            error = "invalid JSON: " + firstLine(e.getMessage());
        } catch (RuntimeException e) {
            error = "cannot read the event: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
        }
        if (error != null) {
            metrics.get(QuestionMetrics.INVALID).inc();
            // What the answer repeats of an invalid question is clipped: a 600 KB strategy or questionId made an answer
            // the sink could not write, and the job restarted on it forever.
            out.collect(rejected(q, Identity.clipId(q.questionId), Identity.clipId(q.tenant), Identity.clip(q.strategy, 64),
                    FailureReason.INVALID_QUESTION.because(Identity.clip(error, Identity.MAX_TEXT_CHARS))));
            return;
        }
        if (now >= q.deadlineAtMs()) {
            metrics.get(QuestionMetrics.EXPIRED).inc();
            out.collect(rejected(q, q.questionId, q.tenant, q.strategy,
                    FailureReason.EXPIRED_BEFORE_READ.with(" (it waited " + (now - q.receivedAtMs) + " ms)")));
            return;
        }
        if (q.plan != null) {
            metrics.get(QuestionMetrics.PLANNED).inc();
        }
        out.collect(q);
    }

    /** A task that only carries its answer's fields (ids clipped, no text: it may be what made it invalid). */
    private static QuestionTask rejected(QuestionTask q, String questionId, String tenant, String strategy, String why) {
        QuestionTask r = new QuestionTask();
        r.questionId = questionId;
        r.tenant = tenant;
        r.strategy = strategy;
        r.receivedAtMs = q.receivedAtMs;
        r.rejection = why;
        return r;
    }

    /** Fills {@code q} and returns the reason it is invalid, or null. */
    String parse(RawQuestion raw, QuestionTask q) throws java.io.IOException {
        JsonNode node = Json.tree(raw.value);
        if (node == null || !node.isObject()) {
            return "the event is not a JSON object";
        }
        if (text(node, "questionId") != null) {
            q.questionId = text(node, "questionId");
        }
        q.tenant = text(node, "tenant");
        q.text = text(node, "text");
        String strategy = text(node, "strategy");
        StrategyName named = strategy == null ? settings.strategy() : StrategyName.parse(strategy);
        q.strategy = named != null ? named.name() : strategy.toUpperCase(Locale.ROOT);
        if (text(node, "questionId") == null) {
            return "missing questionId";
        }
        if (q.tenant == null) {
            return "missing tenant";
        }
        if (q.text == null) {
            return "missing text";
        }
        // Bounded before anything else reads it: the text is embedded, waits in its tenant's queue and goes into n prompts.
        String textTooLong = Identity.tooLong("text", q.text, (int) Math.min(Integer.MAX_VALUE, settings.maxQuestionBytes()));
        if (textTooLong != null) {
            return textTooLong + " (" + QueryOptions.MAX_QUESTION_BYTES.key() + "=" + new MemorySize(settings.maxQuestionBytes()) + ")";
        }
        if (q.text.codePoints().allMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            return "text holds no words (only control characters)";
        }
        String tooLong = Identity.unfit("questionId", q.questionId, Identity.MAX_ID_BYTES);
        if (tooLong == null) {
            tooLong = Identity.unfit("tenant", q.tenant, Identity.MAX_TENANT_BYTES);
        }
        if (tooLong != null) {
            return tooLong;
        }
        if (named == null) {
            return "unknown strategy '" + Identity.clip(q.strategy, 64) + "' (" + StrategyName.choices() + ")";
        }
        Long n = integer(node, "n");
        Long k = integer(node, "k");
        if (outsideInt(n) || outsideInt(k)) {
            return "n and k must be between 1 and " + settings.maxN() + " and " + settings.maxK() + ", were " + n + " and " + k;
        }
        Long deadline = integer(node, "deadlineMs");
        Long askedAt = integer(node, "askedAt");
        if (notInteger(n) || notInteger(k) || notInteger(deadline) || notInteger(askedAt)) {
            return "n, k, deadlineMs and askedAt must be integers";
        }
        Long seed = integer(node, "seed");
        if (notInteger(seed)) {
            return "seed must be an integer";
        }
        q.seed = seed;
        if (askedAt != null && askedAt > 0) {
            q.receivedAtMs = Math.min(askedAt, System.currentTimeMillis()); // a clock ahead of ours must not extend it
        }
        q.n = n == null ? settings.n() : n.intValue();
        q.k = k == null ? settings.k() : k.intValue();
        q.deadlineMs = deadline == null ? settings.deadline().toMillis() : deadline;
        JsonNode budgetNode = node.get("budget");
        Question.Budget budget = settings.defaultBudget();
        if (budgetNode != null && !budgetNode.isNull()) {
            Long tokens = budgetNode.isObject() ? integer(budgetNode, "tokens") : null;
            Long ms = budgetNode.isObject() ? integer(budgetNode, "ms") : null;
            if (!budgetNode.isObject() || (tokens == null && ms == null) || notInteger(tokens) || notInteger(ms)
                    || (tokens != null && tokens < 1) || (ms != null && ms < 1)) {
                return "budget must be an object with a positive integer tokens and/or ms";
            }
            budget = new Question.Budget(tokens, ms);
        }
        if (settings.plan() != null && budget != null) {
            q.plan = settings.plan().choose(budget, strategy == null ? null : q.strategy,
                    k == null ? null : k.intValue(), n == null ? null : n.intValue());
            if (q.plan != null) {
                q.strategy = q.plan.strategy;
                q.k = q.plan.k;
                q.n = q.plan.n;
            }
        }
        if (q.n < 1 || q.n > settings.maxN()) {
            return "n must be between 1 and " + settings.maxN() + ", was " + q.n;
        }
        if (q.k < 1 || q.k > settings.maxK()) {
            return "k must be between 1 and " + settings.maxK() + ", was " + q.k;
        }
        if (q.deadlineMs < 1 || q.deadlineMs > MAX_DEADLINE_MS) {
            return "deadlineMs must be between 1 and " + MAX_DEADLINE_MS + ", was " + q.deadlineMs;
        }
        return null;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || !v.isValueNode()) {
            return null;
        }
        String s = v.asText().strip();
        return s.isEmpty() ? null : s;
    }

    /** The integer value, null when absent, {@link Long#MIN_VALUE} when present but not an integer. */
    private static Long integer(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? v.asLong() : Long.MIN_VALUE; // asLong() wraps 2^64 + 5 around to 5
        }
        if (v.isTextual() && v.asText().strip().matches("-?\\d{1,18}")) {
            return Long.parseLong(v.asText().strip());
        }
        return Long.MIN_VALUE;
    }

    /** A number intValue() would wrap (2^32 + 1 became 1). */
    private static boolean outsideInt(Long v) {
        return v != null && v != Long.MIN_VALUE && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE);
    }

    private static boolean notInteger(Long v) {
        return v != null && v == Long.MIN_VALUE;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
