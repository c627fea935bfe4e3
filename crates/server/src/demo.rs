//! `ticketing demo`: a few events on sale with realistic seat maps, so a newcomer sees a real sale.

use crate::Services;
use serde_json::json;

/// Create the demo events unless the catalogue already has events. Returns their ids.
pub async fn load(s: &Services) -> Result<Vec<String>, String> {
    let (Some(events), Some(inventory)) = (&s.events, &s.inventory) else {
        return Err("the demo needs the events and inventory services in this process".into());
    };
    let existing = events.list(Default::default()).await.map_err(|e| e.to_string())?;
    if existing.page.total_elements > 0 {
        return Ok(vec![]);
    }
    let now = chrono::Utc::now();
    let day = |d: i64| (now + chrono::Duration::days(d)).format("%Y-%m-%dT19:30:00Z").to_string();
    let arena_sections = {
        // An arena: floor sections near the stage, then a lower and an upper bowl. 5,600 seats.
        let mut v = vec![
            json!({"section": "FLOOR-A", "seatType": "VIP", "price": 249.00, "rows": (1..=10).map(|r| json!({"rowNumber": r, "seats": 20})).collect::<Vec<_>>()}),
            json!({"section": "FLOOR-B", "seatType": "VIP", "price": 199.00, "rows": (1..=10).map(|r| json!({"rowNumber": r, "seats": 20})).collect::<Vec<_>>()}),
        ];
        for (i, price) in [(101, 129.0), (102, 119.0), (103, 129.0), (104, 119.0)] {
            v.push(json!({"section": format!("L{i}"), "seatType": "PREMIUM", "price": price,
                "rows": (1..=20).map(|r| json!({"rowNumber": r, "seats": 30})).collect::<Vec<_>>()}));
        }
        for (i, price) in [(201, 59.5), (202, 49.0), (203, 59.5), (204, 49.0)] {
            v.push(json!({"section": format!("U{i}"), "seatType": "REGULAR", "price": price,
                "rows": (1..=20).map(|r| json!({"rowNumber": r, "seats": 35})).collect::<Vec<_>>()}));
        }
        v
    };
    let demos = vec![
        (
            json!({"eventName": "Aurora Skies World Tour", "description": "Arena pop spectacle with a 360-degree stage.",
                "category": "CONCERT", "venueName": "Harbour Arena", "city": "Lisbon", "eventDate": day(45),
                "saleStartTime": day(-1), "tags": ["pop", "arena", "tour"], "maxTicketsPerUser": 8}),
            arena_sections,
        ),
        (
            json!({"eventName": "Hamlet", "description": "The Royal Company's new staging of Shakespeare's tragedy.",
                "category": "THEATER", "venueName": "Old Vic Playhouse", "city": "London", "eventDate": day(20),
                "saleStartTime": day(-3), "tags": ["shakespeare", "drama"]}),
            vec![
                json!({"section": "STALLS", "seatType": "PREMIUM", "price": 85.00, "rows": (1..=15).map(|r| json!({"rowNumber": r, "seats": 28})).collect::<Vec<_>>()}),
                json!({"section": "DRESS-CIRCLE", "seatType": "REGULAR", "price": 55.00, "rows": (1..=8).map(|r| json!({"rowNumber": r, "seats": 30})).collect::<Vec<_>>()}),
                json!({"section": "BOX", "seatType": "VIP", "price": 150.00, "rows": (1..=4).map(|r| json!({"rowNumber": r, "seats": 4})).collect::<Vec<_>>()}),
            ],
        ),
        (
            json!({"eventName": "Lakers vs Celtics", "description": "The classic rivalry, regular season.",
                "category": "SPORTS", "venueName": "Crypto Court", "city": "Los Angeles", "eventDate": day(10),
                "saleStartTime": day(-2), "tags": ["basketball", "nba"]}),
            vec![
                json!({"section": "COURTSIDE", "seatType": "VIP", "price": 950.00, "rows": [{"rowNumber": 1, "seats": 40}]}),
                json!({"section": "LOWER", "seatType": "PREMIUM", "price": 180.00, "rows": (1..=12).map(|r| json!({"rowNumber": r, "seats": 40})).collect::<Vec<_>>()}),
                json!({"section": "UPPER", "seatType": "REGULAR", "price": 45.00, "rows": (1..=15).map(|r| json!({"rowNumber": r, "seats": 50})).collect::<Vec<_>>()}),
            ],
        ),
    ];
    let mut ids = Vec::new();
    for (event, sections) in demos {
        let input: events::EventInput = serde_json::from_value(event).map_err(|e| e.to_string())?;
        let created = events.create(input).await.map_err(|e| e.to_string())?;
        let layout: inventory::model::LayoutInput = serde_json::from_value(json!({"sections": sections})).map_err(|e| e.to_string())?;
        inventory.put_layout(&created.event_id, layout).await.map_err(|e| e.to_string())?;
        events.set_status(&created.event_id, "ON_SALE").await.map_err(|e| e.to_string())?;
        ids.push(created.event_id);
    }
    Ok(ids)
}
