#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("games must be added in date order: {next} comes after {last}")]
    OutOfOrder {
        last: chrono::NaiveDate,
        next: chrono::NaiveDate,
    },
    #[error("team index {0} is outside the engine's {1} teams")]
    UnknownTeam(usize, usize),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
