using System;
using System.Threading;

namespace CnnGen.Serving;

/// <summary>
/// Counts the calls running on a native session so that disposing it waits for them: a session freed under a
/// running call would be read after it is gone, a native crash rather than an exception. A call that starts after
/// <see cref="Close"/> gets <see cref="ObjectDisposedException"/>. Calls never wait for each other.
/// </summary>
internal sealed class InFlightCalls
{
    private int _running;
    private int _closed;

    /// <summary>Registers a call until the returned value is disposed; throws <see cref="ObjectDisposedException"/> once closed.</summary>
    public Call Enter(object owner)
    {
        // Counted before the flag is read: Close sets the flag before it reads the count, so either this call
        // sees the flag, or Close sees this call and waits for it (both are full fences).
        Interlocked.Increment(ref _running);
        if (Volatile.Read(ref _closed) != 0)
        {
            Interlocked.Decrement(ref _running);
            throw new ObjectDisposedException(owner.GetType().Name);
        }
        return new Call(this);
    }

    /// <summary>Refuses new calls and waits for the running ones; false when already closed.</summary>
    public bool Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return false;
        SpinWait.SpinUntil(() => Volatile.Read(ref _running) == 0);
        return true;
    }

    /// <summary>One registered call; disposing it ends the call.</summary>
    public readonly struct Call : IDisposable
    {
        private readonly InFlightCalls _calls;

        internal Call(InFlightCalls calls) => _calls = calls;

        public void Dispose() => Interlocked.Decrement(ref _calls._running);
    }
}
