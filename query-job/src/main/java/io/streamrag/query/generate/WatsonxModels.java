package io.streamrag.query.generate;

import io.streamrag.common.net.JdkHttpClients;

import com.ibm.watsonx.ai.core.auth.Authenticator;
import com.ibm.watsonx.ai.core.auth.ibmcloud.IBMCloudAuthenticator;
import com.ibm.watsonx.ai.core.provider.HttpClientProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.watsonx.WatsonxChatModel;
import dev.langchain4j.model.watsonx.WatsonxChatRequestParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The watsonx.ai provider through langchain4j's watsonx module. The endpoint's baseUrl names the project (or
 * space) in its query, e.g. {@code https://us-south.ml.cloud.ibm.com?project_id=...}. With an API key (in the
 * endpoint's apiKeyEnv variable) the SDK authenticates through IBM Cloud IAM; without one it sends the bearer
 * token {@code none}, like the openai provider without a key (for local servers). Both the model's and the token
 * service's requests go through the endpoint's own client, so the answer size cap and the close on failover of
 * {@link io.streamrag.common.net.JdkHttpClients} hold here too (the SDK's default is one JVM-wide client without either),
 * wrapped in a {@link WatsonxHttpClient}: bounded by the question's deadline, and with the SDK's own retries off.
 */
final class WatsonxModels {
    private static final Logger LOG = LoggerFactory.getLogger(WatsonxModels.class);

    /** The SDK's JVM-wide clients ({@link HttpClientProvider}'s fields), stopped by {@link #closed()}. */
    private static final String[] SDK_CLIENTS = {"secureClient", "insecureClient"};

    /** Watsonx endpoints open in this class loader: the job's, which the SDK's statics are in too (both in the job jar). */
    private static int open;

    private WatsonxModels() {}

    /** A watsonx endpoint is being built: the SDK's own clients stay until it closes. */
    static synchronized void opened() {
        open++;
    }

    /**
     * A watsonx endpoint closed (or failed to build); the last one stops the SDK's own clients. The SDK builds its
     * JVM-wide JDK client whenever one of its REST clients is built, ours passed or not ({@code WatsonxRestClient} and
     * {@code IBMCloudRestClient} evaluate {@code requireNonNullElse(ours, HttpClientProvider.httpClient(verifySsl))}),
     * and never uses it here; its selector thread took the task thread's context class loader, the job's, and kept it
     * for good: every resubmission of the job left one more loader, its classes in Metaspace. Stopped (Java 17's client
     * has no close: {@link JdkHttpClients#stop}) and dropped, so an endpoint built later gets a live one. Reflective: a
     * later SDK without these fields gets a log line and keeps its client, as before.
     */
    static synchronized void closed() {
        if (open == 0 || --open > 0) {
            return;
        }
        for (String name : SDK_CLIENTS) {
            try {
                Field field = HttpClientProvider.class.getDeclaredField(name);
                field.setAccessible(true);
                HttpClient client;
                synchronized (HttpClientProvider.class) { // the SDK's lock for building them
                    client = (HttpClient) field.get(null);
                    field.set(null, null);
                }
                if (client != null) {
                    JdkHttpClients.stop(client);
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.warn("Cannot stop the watsonx SDK's own HTTP client {} ({}): its thread may keep this job's "
                        + "classes loaded after the job ends", name, e.toString());
            }
        }
    }

    static ChatModel chatModel(EndpointSpec spec, Duration timeout, HttpClient http) {
        URI uri = URI.create(spec.baseUrl);
        String projectId = queryParam(uri, "project_id");
        String spaceId = queryParam(uri, "space_id");
        if (projectId == null && spaceId == null) {
            throw new IllegalArgumentException("watsonx endpoint " + spec.name
                    + " needs ?project_id=... or ?space_id=... in its baseUrl");
        }
        WatsonxChatModel.Builder b = WatsonxChatModel.builder()
                .baseUrl(spec.baseUrl.replaceFirst("\\?.*$", ""))
                .modelName(spec.model)
                .timeout(timeout)
                .httpClient(new WatsonxHttpClient(http, timeout)); // deadline-bound, and no retries of the SDK's own
        if (projectId != null) {
            b.projectId(projectId);
        } else {
            b.spaceId(spaceId);
        }
        String key = spec.apiKeyEnv == null ? null : System.getenv(spec.apiKeyEnv);
        if (key != null && !key.isBlank()) {
            b.authenticator(IBMCloudAuthenticator.builder().apiKey(key).timeout(timeout)
                    .httpClient(new WatsonxHttpClient(http, timeout)).build());
        } else {
            b.authenticator(new StaticToken("none"));
        }
        return b.build();
    }

    static ChatRequestParameters parameters(double temperature, long seed, int maxTokens) {
        return WatsonxChatRequestParameters.builder().temperature(temperature).seed((int) seed)
                .maxOutputTokens(maxTokens).build();
    }

    static String queryParam(URI uri, String name) {
        if (uri.getRawQuery() == null) {
            return null;
        }
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name) && eq < pair.length() - 1) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** A fixed bearer token: no token service is called. */
    static final class StaticToken implements Authenticator {
        private final String token;

        StaticToken(String token) {
            this.token = token;
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public CompletableFuture<String> tokenAsync() {
            return CompletableFuture.completedFuture(token);
        }

        @Override
        public String scheme() {
            return "Bearer";
        }
    }
}
