package io.streamrag.ingest.extract;

import io.streamrag.common.net.JdkHttpClients;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;

import java.util.Base64;

/** Reads images with an OpenAI-compatible vision chat model (image content part), for ingest.ocr.provider=vision. */
public class VisionReader implements ImageTextReader {

    static final String PROMPT = "Transcribe all text visible in this image. If it is a diagram or photo without text, "
            + "describe it in one or two sentences. Answer with the text only.";

    private final ChatModel model;
    /** The HTTP clients under {@link #model}, closed with this reader; null when the caller owns the model. */
    private final JdkHttpClients clients;

    public VisionReader(ChatModel model) {
        this(model, null);
    }

    private VisionReader(ChatModel model, JdkHttpClients clients) {
        this.model = model;
        this.clients = clients;
    }

    public static VisionReader create(OcrSettings settings) {
        String baseUrl = settings.visionBaseUrl();
        String name = settings.visionModel();
        if (baseUrl == null || name == null) {
            throw new IllegalArgumentException(OcrSettings.visionNeeds()); // OcrSettings.from refuses it when the job is built
        }
        String key = System.getenv(settings.visionApiKeyEnv());
        JdkHttpClients clients = new JdkHttpClients();
        return new VisionReader(OpenAiChatModel.builder()
                .baseUrl(baseUrl)
                .modelName(name)
                .apiKey(key == null || key.isBlank() ? "none" : key)
                .temperature(0.0)
                .timeout(settings.timeout())
                .maxRetries(1)
                .httpClientBuilder(clients.langchain4j())
                .build(), clients);
    }

    @Override
    public void close() {
        if (clients != null) {
            clients.close();
        }
    }

    @Override
    public String read(byte[] imageBytes) {
        String mime = ContentTypes.detect(imageBytes, null);
        if (mime == null || !mime.startsWith("image/")) {
            mime = ContentTypes.PNG;
        }
        UserMessage message = UserMessage.from(
                TextContent.from(PROMPT),
                // High detail: small print is the point of reading the image.
                ImageContent.from(Base64.getEncoder().encodeToString(imageBytes), mime, ImageContent.DetailLevel.HIGH));
        String text = model.chat(message).aiMessage().text();
        return text == null ? "" : text; // an empty reply: no text in the image, as far as the model could tell
    }
}
