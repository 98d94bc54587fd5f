package dev.strata.gateway;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** NIP-11: the relay information document on the relay's own URL, and a small page for browsers. */
final class RelayInfo {
    private static final String NOSTR_JSON = "application/nostr+json";

    private RelayInfo() {
    }

    static void serve(HttpServerRequest req, JsonObject info) {
        HttpServerResponse res = req.response();
        // NIP-11: browsers fetch the document cross-origin, so CORS headers on every answer, preflight included.
        res.putHeader("Access-Control-Allow-Origin", "*")
                .putHeader("Access-Control-Allow-Headers", "*")
                .putHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
        if (req.method() == HttpMethod.OPTIONS) {
            res.setStatusCode(204).end();
            return;
        }
        if (!GatewayVerticle.isGet(req)) {
            res.setStatusCode(405).end();
            return;
        }
        String accept = req.getHeader(HttpHeaders.ACCEPT);
        if (accept != null && accept.contains(NOSTR_JSON)) {
            res.putHeader(HttpHeaders.CONTENT_TYPE, NOSTR_JSON).end(info.encode());
        } else {
            res.putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(page(info));
        }
    }

    private static String page(JsonObject info) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(info.getString("name", ""))
                + "</title></head><body><h1>" + escape(info.getString("name", "")) + "</h1><p>"
                + escape(info.getString("description", ""))
                + "</p><p>This is a Nostr relay. Connect a Nostr client to this address over WebSocket.</p>"
                + "</body></html>\n";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
