package io.streamrag.ingest.extract;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.testing.TestDocuments;

import io.streamrag.common.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** ocr.provider=vision sends the image as an image content part to an OpenAI-compatible chat endpoint. */
class VisionReaderTest {

    @Test
    void sendsTheImageAndReturnsTheModelsText() throws Exception {
        AtomicReference<String> request = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            request.set(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = ("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"vision-test\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ZEPHYR 4711\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            Configuration conf = new Configuration();
            conf.set(IngestOptions.OCR_PROVIDER, IngestOptions.OcrProvider.VISION);
            conf.set(IngestOptions.VISION_BASE_URL, "http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
            conf.set(IngestOptions.VISION_MODEL, "vision-test");
            ImageTextReader reader = ImageTextReader.create(OcrSettings.from(conf));
            assertThat(reader).isInstanceOf(VisionReader.class);

            byte[] png = TestDocuments.png(TestDocuments.wordsImage("ZEPHYR", 200, 80, 40));
            assertThat(reader.read(png)).isEqualTo("ZEPHYR 4711");
            JsonNode sent = Json.MAPPER.readTree(request.get());
            assertThat(sent.get("model").asText()).isEqualTo("vision-test");
            JsonNode image = sent.get("messages").get(0).get("content").get(1);
            assertThat(image.get("type").asText()).isEqualTo("image_url");
            assertThat(image.get("image_url").get("url").asText()).startsWith("data:image/png;base64,");
            assertThat(image.get("image_url").get("detail").asText()).isEqualTo("high");
        } finally {
            server.stop(0);
        }
    }
}
