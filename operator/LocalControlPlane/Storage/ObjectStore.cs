using System.Text.Json.Nodes;
using System.Threading.Channels;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Storage;

/// <summary>
/// The emulator's etcd: every object as JSON, one cluster-wide resourceVersion counter, and a bounded
/// history of changes for watches. All writes go through <see cref="Write{T}"/>, one at a time, so a
/// multi-object operation (cascading delete, CRD removal) is atomic. Watchers receive events through
/// their own channel: the store never waits on a client.
/// </summary>
internal sealed class ObjectStore(int historyCapacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _collections = [];
    private readonly Queue<StoredEvent> _history = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly Dictionary<string, ObjectRef> _byUid = [];
    private readonly Dictionary<string, HashSet<ObjectRef>> _dependents = [];
    private long _resourceVersion = 1;
    private long _historyFloor = 1;

    public T Read<T>(Func<IStoreView, T> read)
    {
        lock (_lock)
        {
            return read(new Transaction(this, dryRun: true));
        }
    }

    /// <summary>Runs <paramref name="write"/> alone against the store; with <paramref name="dryRun"/> nothing it puts is kept.</summary>
    public T Write<T>(Func<ITransaction, T> write, bool dryRun = false)
    {
        lock (_lock)
        {
            return write(new Transaction(this, dryRun));
        }
    }

    /// <summary>
    /// Opens a watch on one collection. With a resourceVersion, replays history after it (410 Gone if it
    /// is older than the history keeps); without one, starts with the current objects as ADDED events.
    /// </summary>
    public Subscription Subscribe(string storageKey, string? ns, long? fromResourceVersion, Func<JsonObject, bool> matches)
    {
        lock (_lock)
        {
            if (fromResourceVersion is { } from && from < _historyFloor)
            {
                throw ApiException.Gone($"too old resource version: {from} ({_historyFloor})");
            }
            var subscription = new Subscription(this, storageKey, ns, _resourceVersion);
            if (fromResourceVersion is { } since)
            {
                foreach (var e in _history.Where(e => e.ResourceVersion > since && subscription.Covers(e)))
                {
                    subscription.Channel.Writer.TryWrite(e);
                }
            }
            else
            {
                foreach (var obj in Collection(storageKey).Values.Where(o => (ns is null || o.Namespace() == ns) && matches(o)))
                {
                    subscription.Channel.Writer.TryWrite(new StoredEvent(obj.ResourceVersion(), "ADDED", storageKey, obj, null));
                    subscription.InitialEventCount++;
                }
            }
            _subscriptions.Add(subscription);
            return subscription;
        }
    }

    private void Unsubscribe(Subscription s)
    {
        lock (_lock)
        {
            _subscriptions.Remove(s);
        }
    }

    /// <summary>Ends every open watch, as an API server restart or a dropped connection would.</summary>
    public int CloseAllWatches()
    {
        lock (_lock)
        {
            foreach (var s in _subscriptions)
            {
                s.Channel.Writer.TryComplete();
            }
            var count = _subscriptions.Count;
            _subscriptions.Clear();
            return count;
        }
    }

    private SortedDictionary<string, JsonObject> Collection(string storageKey)
    {
        if (!_collections.TryGetValue(storageKey, out var c))
        {
            c = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _collections[storageKey] = c;
        }
        return c;
    }

    private static string Key(string ns, string name) => ns + "/" + name;

    private void Record(StoredEvent e)
    {
        _history.Enqueue(e);
        while (_history.Count > historyCapacity)
        {
            _historyFloor = _history.Dequeue().ResourceVersion;
        }
        foreach (var s in _subscriptions)
        {
            if (s.Covers(e))
            {
                s.Channel.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>Where one stored object lives.</summary>
    public readonly record struct ObjectRef(string StorageKey, string Namespace, string Name);

    private void Index(string storageKey, JsonObject? previous, JsonObject? current)
    {
        foreach (var (obj, add) in new[] { (previous, false), (current, true) })
        {
            if (obj is null)
            {
                continue;
            }
            var where = new ObjectRef(storageKey, obj.Namespace(), obj.Name());
            if (add)
            {
                _byUid[obj.Uid()] = where;
            }
            else
            {
                _byUid.Remove(obj.Uid());
            }
            foreach (var owner in OwnerUids(obj))
            {
                if (add)
                {
                    (_dependents.TryGetValue(owner, out var set) ? set : _dependents[owner] = []).Add(where);
                }
                else if (_dependents.TryGetValue(owner, out var set))
                {
                    set.Remove(where);
                    if (set.Count == 0)
                    {
                        _dependents.Remove(owner);
                    }
                }
            }
        }
    }

    public static IEnumerable<string> OwnerUids(JsonObject obj) =>
        (obj.Metadata()["ownerReferences"] as JsonArray ?? []).Select(r => r.Str("uid")).OfType<string>();

    public interface IStoreView
    {
        bool UidExists(string uid);
        IReadOnlyList<ObjectRef> DependentsOf(string ownerUid);
        JsonObject? Get(string storageKey, string ns, string name);
        bool Exists(string storageKey, string ns, string name);
        /// <summary>The stored instances themselves, to read while the view is open: nobody changes them, and neither may the caller.</summary>
        JsonObject? Peek(string storageKey, string ns, string name);
        /// <inheritdoc cref="Peek"/>
        IEnumerable<JsonObject> PeekAll(string storageKey, string? ns);
        IEnumerable<JsonObject> List(string storageKey, string? ns);
        IEnumerable<(string StorageKey, JsonObject Object)> Everything();
        long ResourceVersion { get; }
    }

    public interface ITransaction : IStoreView
    {
        /// <summary>Stores the object with a new resourceVersion and returns the stored copy.</summary>
        JsonObject Put(string storageKey, JsonObject obj);
        JsonObject? Remove(string storageKey, string ns, string name);
        void RemoveCollection(string storageKey);
    }

    private sealed class Transaction(ObjectStore store, bool dryRun) : ITransaction
    {
        public long ResourceVersion => store._resourceVersion;

        public bool UidExists(string uid) => store._byUid.ContainsKey(uid);

        public IReadOnlyList<ObjectRef> DependentsOf(string ownerUid) =>
            store._dependents.TryGetValue(ownerUid, out var set) ? [.. set] : [];

        public JsonObject? Get(string storageKey, string ns, string name) =>
            store.Collection(storageKey).TryGetValue(Key(ns, name), out var o) ? o.Clone() : null;

        public bool Exists(string storageKey, string ns, string name) => store.Collection(storageKey).ContainsKey(Key(ns, name));

        public JsonObject? Peek(string storageKey, string ns, string name) => store.Collection(storageKey).GetValueOrDefault(Key(ns, name));

        public IEnumerable<JsonObject> PeekAll(string storageKey, string? ns) =>
            store.Collection(storageKey).Values.Where(o => ns is null || o.Namespace() == ns).ToList();

        public IEnumerable<JsonObject> List(string storageKey, string? ns) =>
            store.Collection(storageKey).Values.Where(o => ns is null || o.Namespace() == ns).Select(o => o.Clone()).ToList();

        public IEnumerable<(string StorageKey, JsonObject Object)> Everything() =>
            store._collections.SelectMany(c => c.Value.Values.Select(o => (c.Key, o.Clone()))).ToList();

        public JsonObject Put(string storageKey, JsonObject obj)
        {
            var key = Key(obj.Namespace(), obj.Name());
            var collection = store.Collection(storageKey);
            collection.TryGetValue(key, out var previous);
            var stored = obj.Clone();
            Materialize(stored);
            if (dryRun)
            {
                stored.Metadata()["resourceVersion"] = (store._resourceVersion + 1).ToString();
                return stored;
            }
            var rv = ++store._resourceVersion;
            stored.Metadata()["resourceVersion"] = rv.ToString();
            collection[key] = stored;
            store.Index(storageKey, previous, stored);
            store.Record(new StoredEvent(rv, previous is null ? "ADDED" : "MODIFIED", storageKey, stored, previous));
            return stored.Clone();
        }

        // Every node read once here, under the store's lock: System.Text.Json fills a parsed node in on its first read,
        // and a stored object is then read by many watchers at once, outside the lock.
        private static void Materialize(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (_, child) in obj)
                    {
                        Materialize(child);
                    }
                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        Materialize(child);
                    }
                    break;
            }
        }

        public JsonObject? Remove(string storageKey, string ns, string name)
        {
            var collection = store.Collection(storageKey);
            if (!collection.TryGetValue(Key(ns, name), out var previous))
            {
                return null;
            }
            var gone = previous.Clone();
            if (dryRun)
            {
                return gone;
            }
            collection.Remove(Key(ns, name));
            store.Index(storageKey, previous, null);
            var rv = ++store._resourceVersion;
            gone.Metadata()["resourceVersion"] = rv.ToString();
            store.Record(new StoredEvent(rv, "DELETED", storageKey, gone.Clone(), previous));
            return gone;
        }

        public void RemoveCollection(string storageKey)
        {
            foreach (var obj in List(storageKey, null))
            {
                Remove(storageKey, obj.Namespace(), obj.Name());
            }
            if (!dryRun)
            {
                store._collections.Remove(storageKey);
            }
        }
    }

    /// <summary>An open watch: events arrive on <see cref="Channel"/>; disposing stops them.</summary>
    public sealed class Subscription(ObjectStore store, string storageKey, string? ns, long startResourceVersion) : IDisposable
    {
        public Channel<StoredEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<StoredEvent>(
            new UnboundedChannelOptions { SingleReader = true });

        /// <summary>The store's resourceVersion when the watch opened (for the initial-events bookmark).</summary>
        public long StartResourceVersion { get; } = startResourceVersion;

        /// <summary>How many synthetic ADDED events for existing objects open the stream.</summary>
        public int InitialEventCount { get; internal set; }

        internal bool Covers(StoredEvent e) => e.StorageKey == storageKey && (ns is null || e.Object.Namespace() == ns);

        public void Dispose()
        {
            Channel.Writer.TryComplete();
            store.Unsubscribe(this);
        }
    }
}
