using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sigil.LocalControlPlane.Apply;
using Sigil.LocalControlPlane.Authorization;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Discovery;
using Sigil.LocalControlPlane.Selection;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Tables;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// The HTTP face of the emulator: authenticates, records, injects faults, then serves discovery,
/// OpenAPI, and resource requests (including watches and server-side tables) over <see cref="ObjectService"/>.
/// </summary>
internal sealed class ApiEndpoint(
    ObjectService objects,
    ResourceCatalog catalog,
    RequestLog log,
    FaultInjector faults,
    RbacAuthorizer authorizer,
    TableRenderer tables,
    IReadOnlyDictionary<string, string> tokens,
    TimeSpan bookmarkInterval)
{
    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        try
        {
            var user = Impersonate(context.Request, Authenticate(context.Request));
            var query = context.Request.Query;
            var path = context.Request.Path.Value ?? "/";
            var watch = query["watch"] is { Count: > 0 } w && w[0] is "true" or "1";
            var request = ApiRequest.Parse(context.Request.Method, path, watch);
            var record = request is null
                ? new RecordedRequest(user.Name, context.Request.Method.ToLowerInvariant(), "", path, null, null, null)
                : new RecordedRequest(user.Name, request.Verb, request.Group, request.Resource, request.Subresource, request.Namespace, request.Name);
            log.Add(record);
            authorizer.Authorize(user, request is null
                ? AccessAttributes.NonResource(record.Verb, path)
                : new AccessAttributes(record.Verb, record.Group, record.Resource, record.Subresource, record.Namespace, record.Name));

            var (delay, failWith) = faults.Decide(record);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct);
            }
            if (failWith is { } code)
            {
                throw new ApiException(code, ReasonFor(code), $"injected fault: {code} for {record.Verb} {record.Resource}");
            }

            if (request is null)
            {
                await ServeNonResourceAsync(context, path);
                return;
            }
            await ServeResourceAsync(context, request, watch, user);
        }
        catch (ApiException e)
        {
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context.Response, e.Code, e.ToStatus(), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An emulator bug must surface as a readable 500, not an empty reply, or clients report nothing useful.
            if (!context.Response.HasStarted)
            {
                var error = new ApiException(500, "InternalError", $"sigil local control plane error: {e.GetType().Name}: {e.Message}");
                await WriteJsonAsync(context.Response, 500, error.ToStatus(), ct);
            }
        }
    }

    private UserInfo Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var presented = Encoding.UTF8.GetBytes(header[7..].Trim());
            foreach (var (token, user) in tokens)
            {
                if (CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(token)))
                {
                    return UserInfo.ForToken(user);
                }
            }
        }
        throw new ApiException(401, "Unauthorized", "Unauthorized");
    }

    /// <summary>Who the request acts as: the authenticated user, or whom its Impersonate-* headers name if RBAC lets the user impersonate them.</summary>
    private UserInfo Impersonate(HttpRequest request, UserInfo requester)
    {
        var wanted = Impersonation.Parse(request.Headers.Select(h => KeyValuePair.Create(h.Key, (IReadOnlyList<string>)[.. h.Value.OfType<string>()])));
        if (wanted is null)
        {
            return requester;
        }
        foreach (var permission in Impersonation.RequiredPermissions(wanted))
        {
            authorizer.Authorize(requester, permission);
        }
        return Impersonation.ActAs(wanted);
    }

    private async Task ServeNonResourceAsync(HttpContext context, string path)
    {
        var ct = context.RequestAborted;
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        JsonObject? document = segments switch
        {
            ["version"] => DiscoveryDocuments.Version(),
            ["api"] => DiscoveryDocuments.CoreVersions($"{context.Request.Host}"),
            ["api", var v] => DiscoveryDocuments.ResourceList(catalog, "", v),
            ["apis"] => DiscoveryDocuments.GroupList(catalog),
            ["apis", var g] => DiscoveryDocuments.Group(catalog, g),
            ["apis", var g, var v] => DiscoveryDocuments.ResourceList(catalog, g, v),
            ["openapi", "v3"] => OpenApiDocuments.Index(catalog),
            ["openapi", "v3", .. var gv] => OpenApiDocuments.GroupVersion(catalog, string.Join('/', gv)),
            _ => null,
        };
        if (segments is ["healthz" or "readyz" or "livez", ..])
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("ok", ct);
            return;
        }
        if (document is null)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }
        await WriteJsonAsync(context.Response, 200, document, ct);
    }

    private async Task ServeResourceAsync(HttpContext context, ApiRequest request, bool watch, UserInfo user)
    {
        var ct = context.RequestAborted;
        var query = context.Request.Query;
        var type = catalog.Find(request.Group, request.Version, request.Resource)
            ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        if ((request.Namespace is not null && !type.Namespaced) || (request.Namespace is null && type.Namespaced && request.Name is not null))
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }
        if (type.Group is AccessReviews.Group or SelfSubjectReviews.Group)
        {
            await ServeAccessReviewAsync(context, type, request, user);
            return;
        }
        var ns = type.Namespaced ? request.Namespace : "";
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var writeOptions = new WriteOptions(
            DryRun: query["dryRun"].Count > 0,
            FieldValidation: query["fieldValidation"].FirstOrDefault() is { Length: > 0 } fv ? fv : "Warn",
            FieldManager: PatchOptionsRules.ManagerName(Nonempty(query["fieldManager"]), context.Request.Headers.UserAgent.ToString()),
            Force: query["force"].FirstOrDefault() is "true" or "True" or "TRUE" or "t" or "T" or "1");
        var asTable = context.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

        switch (request.Verb)
        {
            case "get":
                var obj = objects.Get(type, ns!, request.Name!);
                await WriteObjectAsync(context, type, asTable, obj, ct);
                return;
            case "list":
                var page = objects.List(type, ns, labels, fields, ParseInt(query["limit"]), Nonempty(query["continue"]));
                await WriteListAsync(context, type, asTable, page, ct);
                return;
            case "watch":
                if (request.Name is not null)
                {
                    fields = FieldSelector.Parse($"metadata.name={request.Name}" + (query["fieldSelector"].Count > 0 ? "," + query["fieldSelector"] : ""));
                }
                await StreamWatchAsync(context, type, ns, labels, fields, asTable, ct);
                return;
            case "create":
                PatchOptionsRules.Validate("CreateOptions", isApply: false, isPatch: false, Nonempty(query["fieldManager"]), forceGiven: false);
                var created = objects.Create(type, ns!, await ReadObjectAsync(context.Request, ct), writeOptions);
                await WriteResultAsync(context, type, created, ct);
                return;
            case "update":
                PatchOptionsRules.Validate("UpdateOptions", isApply: false, isPatch: false, Nonempty(query["fieldManager"]), forceGiven: false);
                var updated = objects.Update(type, ns!, request.Name!, await ReadObjectAsync(context.Request, ct), request.Subresource, writeOptions);
                await WriteResultAsync(context, type, updated, ct);
                return;
            case "patch":
                var contentType = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
                var isApply = contentType == PatchOptionsRules.ApplyPatchType;
                PatchOptionsRules.Validate("PatchOptions", isApply, isPatch: true, Nonempty(query["fieldManager"]), query["force"].Count > 0);
                var patched = isApply
                    ? objects.Apply(type, ns!, request.Name!, await ReadTextAsync(context.Request, ct), request.Subresource, writeOptions,
                        authorizeCreate: () => authorizer.Authorize(user, new AccessAttributes("create", request.Group, request.Resource, request.Subresource, request.Namespace, request.Name)))
                    : objects.Patch(type, ns!, request.Name!, contentType, await ReadTextAsync(context.Request, ct), request.Subresource, writeOptions);
                await WriteResultAsync(context, type, patched, ct);
                return;
            case "delete":
                var deleted = objects.Delete(type, ns!, request.Name!, await ReadDeleteOptionsAsync(context.Request, ct), writeOptions.DryRun);
                await WriteJsonAsync(context.Response, 200, deleted, ct);
                return;
            case "deletecollection":
                var gone = objects.DeleteCollection(type, ns, labels, fields, await ReadDeleteOptionsAsync(context.Request, ct), writeOptions.DryRun);
                await WriteJsonAsync(context.Response, 200, gone, ct);
                return;
            default:
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private async Task ServeAccessReviewAsync(HttpContext context, ResourceType type, ApiRequest request, UserInfo user)
    {
        var ct = context.RequestAborted;
        if (request.Verb != "create" || request.Name is not null)
        {
            throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource: {type.GroupResource} can only be created");
        }
        // kube-apiserver serves namespaced kinds (LocalSubjectAccessReview) only under /namespaces/{ns}/: without one
        // there is no route, and no namespace for the review to be confined to.
        if (type.Namespaced && request.Namespace is null)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }
        var body = ProtobufBodies.IsProtobuf(context.Request.ContentType)
            ? ProtobufBodies.Decode(await ReadBytesAsync(context.Request, ct))
            : await ReadObjectAsync(context.Request, ct);
        var answer = type.Group == SelfSubjectReviews.Group
            ? SelfSubjectReviews.Answer(body, user)
            : authorizer.Read(rbac => AccessReviews.Answer(type.Kind, request.Namespace, body, user, rbac));
        await WriteJsonAsync(context.Response, 201, answer, ct);
    }

    private async Task StreamWatchAsync(HttpContext context, ResourceType type, string? ns, LabelSelector labels, FieldSelector fields, bool asTable, CancellationToken ct)
    {
        var query = context.Request.Query;
        var rvText = Nonempty(query["resourceVersion"]);
        var sendInitial = query["sendInitialEvents"].FirstOrDefault() == "true";
        long? from = rvText is null || rvText == "0" || sendInitial ? null : long.TryParse(rvText, out var rv) ? rv
            : throw ApiException.BadRequest($"invalid resource version \"{rvText}\"");
        var bookmarks = query["allowWatchBookmarks"].FirstOrDefault() == "true";

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        ObjectService.WatchHandle handle;
        try
        {
            handle = objects.Watch(type, ns, labels, fields, from);
        }
        catch (ApiException gone) when (gone.Code == 410)
        {
            await WriteEventAsync(response, "ERROR", gone.ToStatus(), ct);
            return;
        }

        using var subscription = handle.Subscription;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (ParseInt(query["timeoutSeconds"]) is > 0 and var seconds)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        await response.StartAsync(ct);
        await response.Body.FlushAsync(ct);

        var reader = subscription.Channel.Reader;
        var lastResourceVersion = subscription.StartResourceVersion;
        var initialRemaining = sendInitial ? subscription.InitialEventCount : -1;
        var headersSent = false;
        if (initialRemaining == 0 && bookmarks)
        {
            await WriteEventAsync(response, "BOOKMARK", Bookmark(type, lastResourceVersion, initialEventsEnd: true), ct);
        }
        try
        {
            while (!timeout.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                wait.CancelAfter(bookmarkInterval);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                {
                    if (bookmarks)
                    {
                        await WriteEventAsync(response, "BOOKMARK", Bookmark(type, lastResourceVersion, false), ct);
                    }
                    continue;
                }
                while (reader.TryRead(out var stored))
                {
                    lastResourceVersion = Math.Max(lastResourceVersion, stored.ResourceVersion);
                    if (handle.Translate(stored) is var (eventType, view))
                    {
                        JsonNode payload = asTable
                            ? tables.Render(type, [view], IncludeObject(context.Request), withHeaders: !headersSent,
                                new JsonObject { ["resourceVersion"] = view.Metadata().Str("resourceVersion") })
                            : view;
                        headersSent = true;
                        await WriteEventAsync(response, eventType, payload, ct);
                    }
                    if (initialRemaining > 0 && --initialRemaining == 0 && bookmarks)
                    {
                        await WriteEventAsync(response, "BOOKMARK", Bookmark(type, subscription.StartResourceVersion, initialEventsEnd: true), ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }
    }

    private static JsonObject Bookmark(ResourceType type, long resourceVersion, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }
        return new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = metadata };
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonNode obj, CancellationToken ct)
    {
        // Written straight from the node (no copy to give it a new parent, no string between): a watch event per write per watcher.
        var line = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(line, new JsonWriterOptions { MaxDepth = Json.MaxOutputDepth }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            obj.WriteTo(writer, Json.Compact);
            writer.WriteEndObject();
        }
        line.Write("\n"u8);
        await response.Body.WriteAsync(line.WrittenMemory, ct);
        await response.Body.FlushAsync(ct);
    }

    private async Task WriteObjectAsync(HttpContext context, ResourceType type, bool asTable, JsonObject obj, CancellationToken ct)
    {
        var body = asTable
            ? tables.Render(type, [obj], IncludeObject(context.Request), true, new JsonObject { ["resourceVersion"] = obj.Metadata().Str("resourceVersion") })
            : obj;
        await WriteJsonAsync(context.Response, 200, body, ct);
    }

    private async Task WriteListAsync(HttpContext context, ResourceType type, bool asTable, ListResult page, CancellationToken ct)
    {
        var metadata = new JsonObject { ["resourceVersion"] = page.ResourceVersion.ToString() };
        if (page.Continue is not null)
        {
            metadata["continue"] = page.Continue;
            metadata["remainingItemCount"] = page.RemainingItemCount;
        }
        var body = asTable
            ? tables.Render(type, page.Items, IncludeObject(context.Request), true, metadata)
            : new JsonObject
            {
                ["kind"] = type.ListKind,
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = metadata,
                ["items"] = new JsonArray(page.Items.Select(i => (JsonNode)i).ToArray()),
            };
        await WriteJsonAsync(context.Response, 200, body, ct);
    }

    private static async Task WriteResultAsync(HttpContext context, ResourceType type, WriteResult result, CancellationToken ct)
    {
        foreach (var warning in result.Warnings)
        {
            context.Response.Headers.Append("Warning", $"299 - {JsonSerializer.Serialize(warning)}");
        }
        await WriteJsonAsync(context.Response, result.StatusCode, result.Object, ct);
    }

    private static async Task WriteJsonAsync(HttpResponse response, int status, JsonNode body, CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(Json.Compact), ct);
    }

    private static string IncludeObject(HttpRequest request) => request.Query["includeObject"].FirstOrDefault() ?? "Metadata";

    private static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        var contentType = request.ContentType ?? "application/json";
        if (ProtobufBodies.IsProtobuf(contentType))
        {
            return ProtobufBodies.Decode(await ReadBytesAsync(request, ct));
        }
        if (!contentType.StartsWith("application/json", StringComparison.Ordinal) && !contentType.StartsWith("*/*", StringComparison.Ordinal))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf (got {contentType}); YAML is accepted only as an apply patch (application/apply-patch+yaml)");
        }
        return Json.ParseObject(await ReadTextAsync(request, ct));
    }

    private static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpRequest request, CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(request, ct);
        var body = bytes.Length == 0 ? []
            : ProtobufBodies.IsProtobuf(request.ContentType) ? ProtobufBodies.Decode(bytes)
            : Json.ParseObject(Encoding.UTF8.GetString(bytes));
        var orphan = (body["orphanDependents"]?.GetValue<bool>() ?? false) || request.Query["orphanDependents"].FirstOrDefault() == "true";
        var policy = body.Str("propagationPolicy") ?? request.Query["propagationPolicy"].FirstOrDefault() ?? (orphan ? "Orphan" : "Background");
        return new DeleteOptions(policy, body["preconditions"].Str("uid"), body["preconditions"].Str("resourceVersion"));
    }

    private static int? ParseInt(Microsoft.Extensions.Primitives.StringValues value) =>
        int.TryParse(value.FirstOrDefault(), out var n) ? n : null;

    private static string? Nonempty(Microsoft.Extensions.Primitives.StringValues value) =>
        value.FirstOrDefault() is { Length: > 0 } s ? s : null;

    private static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
}
