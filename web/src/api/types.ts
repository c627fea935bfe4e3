// Shapes of shared/API.md (the public contract). Only what the app reads is typed strictly. Where the
// server's OpenAPI document describes a shape exactly, the type is the generated one (schema.ts).
import type { components } from './schema';

type Schemas = components['schemas'];

export type Role = 'USER' | 'ADMIN';
export interface User {
  userId: string;
  email: string;
  name: string;
  role: Role;
}
export interface LoginResponse {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  user: User;
}
export interface RefreshResponse {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type EventStatus = 'UPCOMING' | 'ON_SALE' | 'SOLD_OUT' | 'CANCELLED' | 'COMPLETED';
export const EVENT_STATUSES: EventStatus[] = ['UPCOMING', 'ON_SALE', 'SOLD_OUT', 'CANCELLED', 'COMPLETED'];
export const CATEGORIES = ['CONCERT', 'SPORTS', 'THEATER', 'COMEDY', 'CONFERENCE', 'FESTIVAL', 'OTHER'];

export interface TicketEvent {
  eventId: string;
  eventName: string;
  description?: string | null;
  category: string;
  venueName: string;
  city: string;
  eventDate: string;
  saleStartTime: string;
  saleEndTime?: string | null;
  tags?: string[];
  imageUrl?: string | null;
  status: EventStatus;
  totalSeats: number;
  availableSeats: number;
  minPrice: number | null;
  maxPrice: number | null;
  maxTicketsPerUser?: number | null;
  waitingRoom?: { enabled: boolean; admitPerMinute?: number };
  createdAt?: string;
  updatedAt?: string;
}
export interface EventInput {
  eventName: string;
  description?: string;
  category: string;
  venueName: string;
  city: string;
  eventDate: string;
  saleStartTime: string;
  saleEndTime?: string | null;
  tags?: string[];
  imageUrl?: string | null;
  maxTicketsPerUser?: number | null;
  waitingRoom?: { enabled: boolean; admitPerMinute?: number };
}
export interface PageInfo {
  number: number;
  size: number;
  totalElements: number;
  totalPages: number;
}
export interface EventList {
  events: TicketEvent[];
  page: PageInfo;
}

export type SeatStatus = 'AVAILABLE' | 'RESERVED' | 'BOOKED' | 'BLOCKED';
export type SeatType = 'REGULAR' | 'VIP' | 'PREMIUM';
export interface Seat {
  seatId: string;
  seatNumber: string;
  section: string;
  rowNumber: number;
  seatType: SeatType;
  price: number;
  status: SeatStatus;
}
export interface SeatList {
  eventId: string;
  seats: Seat[];
}
export interface SectionAvailability {
  section: string;
  total: number;
  available: number;
  minPrice: number | null;
  maxPrice: number | null;
  // Later additions are welcome; read defensively.
  reserved?: number;
  booked?: number;
  blocked?: number;
}
export interface Availability {
  eventId: string;
  total: number;
  available: number;
  reserved: number;
  booked: number;
  blocked: number;
  minPrice?: number | null;
  maxPrice?: number | null;
  sections: SectionAvailability[];
}
export interface LayoutRow {
  rowNumber: number;
  seats: number;
}
export interface LayoutSection {
  section: string;
  seatType: SeatType;
  price: number;
  rows: LayoutRow[];
}
export interface Layout {
  sections: LayoutSection[];
}

export type ReservationStatus = 'ACTIVE' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';
export interface Reservation {
  reservationId: string;
  eventId: string;
  seatId: string;
  seatNumber: string;
  section: string;
  rowNumber: number;
  price: number;
  status: ReservationStatus;
  expiresAt: string;
}
export interface ReserveResponse {
  reservations: Reservation[];
  expiresAt: string;
  totalAmount: number;
}
export type ReserveRequest =
  | { eventId: string; seatNumbers: string[] }
  | { eventId: string; quantity: number; section?: string };

export interface PaymentMethod {
  type: 'CREDIT_CARD';
  cardNumber: string;
  expiryMonth: number;
  expiryYear: number;
  cvv: string;
  cardholderName?: string;
}
export interface ConfirmRequest {
  reservationIds: string[];
  paymentMethod: PaymentMethod;
}
// Generated from the server's OpenAPI document (scripts/gen-api.sh): the contract's shapes, one source.
export type BookingStatus = Schemas['BookingStatus'];
export type PaymentStatus = Schemas['PaymentStatus'];
export type Booking = Schemas['BookingView'];

export interface SearchParams {
  q?: string;
  city?: string;
  category?: string;
  dateFrom?: string;
  dateTo?: string;
  priceMin?: string;
  priceMax?: string;
  status?: string;
  sort?: string;
  page?: number;
  size?: number;
}
export interface SearchResult {
  eventId: string;
  eventName: string;
  description?: string | null;
  category: string;
  city: string;
  venueName: string;
  eventDate: string;
  status: EventStatus;
  minPrice: number | null;
  maxPrice: number | null;
  availableSeats: number;
  totalSeats: number;
  availability: 'AVAILABLE' | 'LIMITED' | 'SOLD_OUT';
}
export interface Facet {
  value: string;
  count: number;
}
export interface SearchResponse {
  results: SearchResult[];
  page: PageInfo;
  facets: { city: Facet[]; category: Facet[] };
  tookMs?: number;
}

export interface QueuePlace {
  eventId: string;
  status: 'PRE_QUEUE' | 'WAITING' | 'ADMITTED' | 'EXPIRED';
  position: number | null;
  aheadOfYou: number | null;
  estimatedWaitSecs: number | null;
  admittedAt: string | null;
  admittedUntil: string | null;
  pollAfterMs: number | null;
}

/** The organizer's view of an event's waiting room (`GET/PUT /api/queue/events/{eventId}`). */
export interface QueueRoom {
  eventId: string;
  enabled: boolean;
  admitPerMinute: number;
  paused: boolean;
  /** Fans not yet admitted: the pre-queue and the line. */
  waiting: number;
  /** Admitted and still inside their window. */
  admitted: number;
  admittedTotal: number;
}
export interface QueueControls {
  admitPerMinute?: number;
  paused?: boolean;
}

/** A queue place as the fan's page reads it: `paused` only if a server sends it (the contract's place has no such field). */
export type QueuePlaceView = QueuePlace & { paused?: boolean };
