// The camera at the gate: the browser's own QR reader (BarcodeDetector) on the camera's video. Where
// the browser has no BarcodeDetector the page says so and typing the code stays the way in.
import { useEffect, useRef, useState } from 'react';
import { Button } from '../ui';

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = new (opts: { formats: string[] }) => BarcodeDetectorLike;

export const SCAN_EVERY_MS = 200;

export function cameraScanSupported(): boolean {
  return typeof window !== 'undefined' && 'BarcodeDetector' in window && !!navigator.mediaDevices?.getUserMedia;
}

/** Whether a code the camera reads again is the same sighting (within `windowMs` of the last one). */
export function isRepeatSighting(last: { code: string; at: number } | null, code: string, now: number, windowMs = 3000): boolean {
  return !!last && last.code === code && now - last.at < windowMs;
}

function cameraError(e: unknown): string {
  const name = (e as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'The camera was not allowed. Allow it in the browser, or type the codes below.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found on this device. Type the codes below.';
  if (name === 'NotReadableError') return 'The camera is in use by another app. Close it and try again, or type the codes below.';
  return 'The camera could not be started. Type the codes below.';
}

export function CameraScanner({ onCode }: { onCode: (code: string) => void }) {
  const supported = cameraScanSupported();
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);
  const onCodeRef = useRef(onCode);
  useEffect(() => {
    onCodeRef.current = onCode;
  }, [onCode]);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [error, setError] = useState<string | null>(null);

  const stop = () => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
    if (video.current) video.current.srcObject = null;
    setState('off');
  };
  // The camera is let go when the page is left.
  useEffect(
    () => () => {
      if (timer.current) clearInterval(timer.current);
      stream.current?.getTracks().forEach((t) => t.stop());
    },
    [],
  );

  const start = async () => {
    setError(null);
    setState('starting');
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
      stream.current = s;
      const v = video.current!;
      v.srcObject = s;
      await v.play();
      const Detector = (window as unknown as { BarcodeDetector: BarcodeDetectorCtor }).BarcodeDetector;
      const detector = new Detector({ formats: ['qr_code'] });
      let busy = false;
      timer.current = setInterval(async () => {
        if (busy || v.readyState < 2) return;
        busy = true;
        try {
          for (const c of await detector.detect(v)) if (c.rawValue?.trim()) onCodeRef.current(c.rawValue.trim());
        } catch {
          /* a frame that could not be read: the next one will */
        } finally {
          busy = false;
        }
      }, SCAN_EVERY_MS);
      setState('on');
    } catch (e) {
      stop();
      setError(cameraError(e));
    }
  };

  if (!supported)
    return (
      <p className="rounded-xl border border-slate-200 bg-white p-3 text-sm text-slate-700" data-testid="camera-unsupported">
        This browser cannot read QR codes with the camera. Type the code printed under the QR code instead (or use Chrome on Android).
      </p>
    );
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        {state === 'off' ? (
          <Button type="button" variant="secondary" onClick={() => void start()}>
            Start the camera
          </Button>
        ) : (
          <Button type="button" variant="secondary" busy={state === 'starting'} onClick={stop}>
            Stop the camera
          </Button>
        )}
        <span className="text-sm text-slate-600">{state === 'on' ? 'Hold a ticket’s QR code in front of the camera.' : ''}</span>
      </div>
      {error && (
        <p role="alert" className="text-sm font-medium text-red-700">
          {error}
        </p>
      )}
      <video
        ref={video}
        muted
        playsInline
        aria-label="Camera view for scanning QR codes"
        className={`aspect-video w-full max-w-md rounded-xl bg-slate-900 object-cover ${state === 'off' ? 'hidden' : ''}`}
      />
    </div>
  );
}
