import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoldCountdown } from './HoldCountdown';

describe('HoldCountdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('shows the time left, warns one minute before expiry, then expires once', () => {
    const onExpire = vi.fn();
    render(<HoldCountdown expiresAt="2026-12-01T10:01:05Z" onExpire={onExpire} />);
    expect(screen.getByTestId('hold-countdown')).toHaveTextContent('1:05');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    act(() => vi.advanceTimersByTime(5_000));
    expect(screen.getByTestId('hold-countdown')).toHaveTextContent('1:00');
    expect(screen.getByRole('alert')).toHaveTextContent('Less than a minute left');
    expect(onExpire).not.toHaveBeenCalled();

    act(() => vi.advanceTimersByTime(59_000));
    expect(screen.getByTestId('hold-countdown')).toHaveTextContent('0:01');
    expect(onExpire).not.toHaveBeenCalled();

    act(() => vi.advanceTimersByTime(2_000));
    expect(onExpire).toHaveBeenCalledTimes(1);
    act(() => vi.advanceTimersByTime(5_000));
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('does not expire the hold while a payment is in flight (the booking pins it)', () => {
    const onExpire = vi.fn();
    const { rerender } = render(<HoldCountdown expiresAt="2026-12-01T10:00:02Z" onExpire={onExpire} paused />);
    act(() => vi.advanceTimersByTime(5_000));
    expect(onExpire).not.toHaveBeenCalled();
    rerender(<HoldCountdown expiresAt="2026-12-01T10:00:02Z" onExpire={onExpire} paused={false} />);
    act(() => vi.advanceTimersByTime(500));
    expect(onExpire).toHaveBeenCalledTimes(1);
  });
});
