package io.streamrag.query.generate;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.model.output.TokenUsage;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * One configured model endpoint: a langchain4j chat model with its own retries off, a fixed pool of
 * {@code maxConcurrency} threads per JVM (the concurrency cap, since the client is blocking) and our bounded retries.
 */
public class ChatEndpoint implements AutoCloseable {

    public final EndpointSpec spec;
    private final ChatModel model;
    private final ExecutorService pool;
    private final RetryPolicy retry;
    private final int maxTokens;
    private final CallListener listener;
    /** Direct JSON client for {@code n} choices per request; null unless the endpoint takes {@code n}. */
    private final ChoicesClient choices;

    public ChatEndpoint(EndpointSpec spec, RetryPolicy retry, int maxTokens, CallListener listener) {
        this.spec = spec;
        this.retry = retry;
        this.maxTokens = maxTokens;
        this.listener = listener;
        Duration timeout = Duration.ofMillis(spec.timeoutMs);
        if ("watsonx".equals(spec.provider)) {
            this.model = WatsonxModels.chatModel(spec, timeout);
        } else if ("ollama".equals(spec.provider)) {
            this.model = OllamaChatModel.builder()
                    .baseUrl(spec.baseUrl)
                    .modelName(spec.model)
                    .timeout(timeout)
                    .maxRetries(0)
                    .httpClientBuilder(new RetryAfterHttpClient.Builder())
                    .build();
        } else {
            String key = spec.apiKeyEnv == null ? null : System.getenv(spec.apiKeyEnv);
            this.model = OpenAiChatModel.builder()
                    .baseUrl(spec.baseUrl)
                    .apiKey(key == null || key.isBlank() ? "none" : key)
                    .modelName(spec.model)
                    .timeout(timeout)
                    .maxRetries(0) // our own bounded retries below honour Retry-After
                    .httpClientBuilder(new RetryAfterHttpClient.Builder())
                    .build();
        }
        this.choices = spec.maxChoices > 1 ? new ChoicesClient(spec, timeout) : null;
        this.pool = EndpointPools.acquire(spec);
    }

    /** The bounded pool candidates for this endpoint run on (shared per JVM, see {@link EndpointPools}). */
    public ExecutorService pool() {
        return pool;
    }

    /** One logical model call with bounded retries; throws {@link CallFailedException} when it gives up. */
    public CallResult call(String prompt, double temperature, long seed, long deadlineAtMs) {
        ChatRequestParameters params = "watsonx".equals(spec.provider)
                ? WatsonxModels.parameters(temperature, seed, maxTokens)
                : "ollama".equals(spec.provider)
                ? OllamaChatRequestParameters.builder().temperature(temperature).seed((int) seed)
                        .maxOutputTokens(maxTokens).build()
                : OpenAiChatRequestParameters.builder().temperature(temperature).seed((int) seed)
                        .maxOutputTokens(maxTokens).build();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from(prompt)).parameters(params).build();
        return withRetries(deadlineAtMs, attempt -> {
            long start = System.nanoTime();
            ChatResponse response = model.chat(request);
            listener.callLatency(spec.name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            TokenUsage usage = response.tokenUsage();
            long in = usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
            long out = usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
            return new CallResult(response.aiMessage().text(), in, out, attempt);
        });
    }

    /**
     * {@code n} samples of one prompt in one request (OpenAI's {@code n}; only for endpoints whose
     * {@link EndpointSpec#maxChoices} allows it), with the same bounded retries as {@link #call}.
     */
    public Choices callChoices(String prompt, double temperature, long seed, int n, long deadlineAtMs) {
        if (choices == null) {
            throw new IllegalStateException("Endpoint " + spec.name + " does not take n (maxChoices 1)");
        }
        return withRetries(deadlineAtMs, attempt -> {
            long start = System.nanoTime();
            Choices c = choices.complete(prompt, temperature, seed, n, maxTokens, attempt);
            listener.callLatency(spec.name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return c;
        });
    }

    /** Runs {@code once} (given the 1-based attempt number) until it succeeds, a failure is final, or time runs out. */
    private <T> T withRetries(long deadlineAtMs, IntFunction<T> once) {
        for (int attempt = 1; ; attempt++) {
            try {
                return once.apply(attempt);
            } catch (RuntimeException e) {
                boolean timeout = isTimeout(e);
                int status = statusCode(e);
                boolean retriable = timeout || status == 429 || status >= 500 || status == -1 && isIo(e);
                String reason = describe(e, status, timeout);
                if (!retriable || attempt > retry.maxRetries) {
                    throw new CallFailedException(reason + " after " + attempt + " attempt(s)", timeout, attempt, e);
                }
                long delay = retry.backoffMs(attempt - 1, status == 429 ? retryAfterMs(e) : -1);
                if (System.currentTimeMillis() + delay >= deadlineAtMs) {
                    throw new CallFailedException(reason + "; no time left to retry after " + attempt + " attempt(s)",
                            timeout, attempt, e);
                }
                listener.retried(spec.name);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CallFailedException("interrupted", false, attempt, ie);
                }
            }
        }
    }

    static int statusCode(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpException) {
                return ((HttpException) t).statusCode();
            }
            if (t instanceof com.ibm.watsonx.ai.core.exception.WatsonxException) {
                return ((com.ibm.watsonx.ai.core.exception.WatsonxException) t).statusCode();
            }
        }
        return -1;
    }

    static long retryAfterMs(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RetryAfterHttpException) {
                return ((RetryAfterHttpException) t).retryAfterMs();
            }
        }
        return -1;
    }

    static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof dev.langchain4j.exception.TimeoutException || t instanceof HttpTimeoutException
                    || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIo(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e, int status, boolean timeout) {
        if (timeout) {
            return "timeout";
        }
        if (status > 0) {
            return "HTTP " + status;
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void close() {
        EndpointPools.release(spec);
    }
}
