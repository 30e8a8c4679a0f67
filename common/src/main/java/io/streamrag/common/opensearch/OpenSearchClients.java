package io.streamrag.common.opensearch;

import io.streamrag.common.config.StreamRagOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.opensearch.client.json.jackson.JacksonJsonpMapper;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;

/** Builds {@link OpenSearchClient}s from configuration; callers close the transport they get. */
public final class OpenSearchClients {

    private OpenSearchClients() {}

    public static OpenSearchClient create(Configuration conf) {
        String user = conf.get(StreamRagOptions.OPENSEARCH_USERNAME);
        String password = user == null ? null : System.getenv(conf.get(StreamRagOptions.OPENSEARCH_PASSWORD_ENV));
        return create(conf.get(StreamRagOptions.OPENSEARCH_URL), user, password);
    }

    public static OpenSearchClient create(String url) {
        return create(url, null, null);
    }

    public static OpenSearchClient create(String url, String user, String password) {
        HttpHost host;
        try {
            host = HttpHost.create(new URI(url));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Invalid OpenSearch URL: " + url, e);
        }
        OpenSearchTransport transport =
                ApacheHttpClient5TransportBuilder.builder(host)
                        .setMapper(new JacksonJsonpMapper())
                        .setHttpClientConfigCallback(http -> {
                            if (user != null) {
                                BasicCredentialsProvider credentials = new BasicCredentialsProvider();
                                credentials.setCredentials(
                                        new AuthScope(host),
                                        new UsernamePasswordCredentials(user, password == null ? new char[0] : password.toCharArray()));
                                http.setDefaultCredentialsProvider(credentials);
                            }
                            return http;
                        })
                        .setRequestConfigCallback(request -> request
                                .setConnectionRequestTimeout(Timeout.ofSeconds(10))
                                .setResponseTimeout(Timeout.ofSeconds(60)))
                        .build();
        return new OpenSearchClient(transport);
    }

    /** Closes the client's transport, turning the checked exception into an unchecked one. */
    public static void close(OpenSearchClient client) {
        if (client == null) {
            return;
        }
        try {
            client._transport().close();
        } catch (IOException e) {
            throw new UncheckedIOException("Closing the OpenSearch transport failed", e);
        }
    }
}
